/**
 * Parsers for option values shared by several commands: each rejects a bad value with one line.
 *
 * Every numeric option has a range (BOUNDS), checked when the command line is parsed, before any
 * work: a value that would overflow a timer (Node's setTimeout holds a signed 32-bit count of ms),
 * an allocation (a batch or class count times the features) or a thread pool is a usage error
 * (exit 2) naming the option, the range and the value. docs/reference.md's "Option ranges" table lists them.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { UserError } from '../errors.ts';
import { DEFAULT_CHROMIUM } from '../runners/browser/chromium.ts';
import type { BrowserOptions } from '../runners/browser/run-in-browser.ts';
import { isRuntimeName, RUNTIMES, type RuntimeName } from '../runners/runner.ts';
import { DEFAULT_TOLERANCE, type Tolerance } from '../runners/output-diff.ts';
import { DEFAULT_TIMING, type TimingConfig } from '../runners/timing.ts';

export interface Bound {
  min: number;
  max: number;
}

const UINT32_MAX = 2 ** 32 - 1;

/**
 * The documented range of every numeric option, by flag (a flag shared by commands has one range).
 * NOTE: `--timeout-s` stays far below 2^31 ms / 1000 = 2147483 s, where setTimeout wraps to 1 ms.
 */
export const BOUNDS: Readonly<Record<string, Bound>> = {
  '--batch': { min: 1, max: 4096 },
  '--classes': { min: 1, max: 10_000 },
  '--seed': { min: 0, max: UINT32_MAX },
  '--dataset-seed': { min: 0, max: UINT32_MAX },
  '--threads': { min: 0, max: 256 },
  '--warmup': { min: 0, max: 10_000 },
  '--samples': { min: 1, max: 10_000_000 },
  '--time-ms': { min: 0, max: 3_600_000 },
  '--timeout-s': { min: 1, max: 86_400 },
  '--epochs': { min: 1, max: 10_000 },
  '--train-epochs': { min: 1, max: 10_000 },
  '--fine-tune-epochs': { min: 0, max: 10_000 },
  '--patience': { min: 0, max: 10_000 },
  '--repeats': { min: 1, max: 1000 },
  '--calibration-clips': { min: 1, max: 100_000 },
  '--channels': { min: 1, max: 64 },
  '--lr': { min: 0, max: 10 },
  '--fine-tune-lr': { min: 0, max: 10 },
  '--momentum': { min: 0, max: 1 },
  '--weight-decay': { min: 0, max: 1 },
  '--mixup': { min: 0, max: 100 },
  '--l1-gamma': { min: 0, max: 1 },
  '--clips-per-class': { min: 0, max: 100_000 },
  '--snr': { min: -100, max: 100 },
  '--rounds': { min: 1, max: 10_000 },
  '--runs-per-round': { min: 1, max: 100_000 },
  '--resamples': { min: 1, max: 1_000_000 },
  // compare's thresholds, as fractions (0.05 or 5%); relative ones may exceed 1 (a 3x slowdown)
  '--latency-threshold': { min: 0, max: 100 },
  '--size-threshold': { min: 0, max: 100 },
  '--f1-threshold': { min: 0, max: 1 },
  '--agreement-threshold': { min: 0, max: 1 },
  '--confidence': { min: 0.5, max: 0.9999 },
  // quantize / prune of a model file (and ablate --models file.onnx)
  '--calib-count': { min: 1, max: 100_000 },
  '--eval-count': { min: 1, max: 100_000 },
  '--ratio': { min: 0.001, max: 0.999 },
  '--sessions': { min: 1, max: 1000 },
  // tolerances of close_fraction and tie-aware agreement (src/runners/output-diff.ts)
  '--atol': { min: 0, max: 1e6 },
  '--rtol': { min: 0, max: 1e6 },
};

/** A flag missing from BOUNDS still gets a range that no timer or typed array overflows (test/cli/bounds.test.ts fails on it). */
const FALLBACK_MAX = 2 ** 31 - 1;

export function boundOf(label: string, min: number): Bound {
  return BOUNDS[label] ?? { min, max: FALLBACK_MAX };
}

const rangeText = (b: Bound) => `[${b.min}, ${b.max}]`;

/** Longest accepted free-text value (`--suite`) and list item (a model path is at most PATH_MAX). */
export const MAX_TEXT = 128;
export const MAX_NAME = 4096;
export const MAX_LIST = 1000;

/**
 * Longest command line accepted, in characters over all arguments. NOTE: onnxruntime-node
 * crashes the process with SIGSEGV once the command line is long (a 30,000-character `--suite`
 * or `--models` list did, 27,500 did not), before any row is written.
 */
export const MAX_COMMAND_LINE = 8192;

/** Refuses (exit 2) a command line longer than MAX_COMMAND_LINE, before any work. */
export function checkCommandLine(argv: readonly string[]): void {
  const n = argv.reduce((a, s) => a + s.length + 1, 0);
  if (n > MAX_COMMAND_LINE) {
    throw new UserError(`the command line is ${n} characters; melbench accepts at most ${MAX_COMMAND_LINE} (onnxruntime-node crashes on much longer ones)`);
  }
}

/** Marks a parser as bounded, so tests can find every numeric option and its flag. */
function bounded<T>(label: string, parse: (v: string) => T): ((v: string) => T) & { bound: string } {
  return Object.assign(parse, { bound: label });
}

export function positiveIntList(label: string) {
  return bounded(label, (v: string): number[] => {
    const b = boundOf(label, 1);
    const xs = v.split(',').map((s) => s.trim());
    const out = xs.map(Number);
    if (!xs.length || xs.length > MAX_LIST || out.some((n, i) => !/^\d+$/.test(xs[i]) || n < b.min || n > b.max)) {
      throw new InvalidArgumentError(`${label} must be a comma-separated list of positive integers in ${rangeText(b)}, got '${clip(v)}'`);
    }
    return out;
  });
}

export function positiveInt(label: string) {
  return bounded(label, (v: string): number => {
    const b = boundOf(label, 1);
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError(`${label} must be a positive integer, got '${clip(v)}' (range ${rangeText(b)})`);
    if (n < b.min || n > b.max) throw new InvalidArgumentError(`${label} must be in ${rangeText(b)}, got '${clip(v)}'`);
    return n;
  });
}

export function nonNegativeInt(label: string) {
  return bounded(label, (v: string): number => {
    const b = boundOf(label, 0);
    const n = Number(v);
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${label} must be a non-negative integer, got '${clip(v)}' (range ${rangeText(b)})`);
    if (n < b.min || n > b.max) throw new InvalidArgumentError(`${label} must be in ${rangeText(b)}, got '${clip(v)}'`);
    return n;
  });
}

/** A fraction written as 0.05 or 5%, within the flag's range. */
export function fraction(label: string) {
  return bounded(label, (v: string): number => {
    const b = boundOf(label, 0);
    const pct = v.trim().endsWith('%');
    const n = Number(pct ? v.trim().slice(0, -1) : v);
    const x = pct ? n / 100 : n;
    if (v.trim() === '' || !Number.isFinite(x) || x < b.min || x > b.max) throw new InvalidArgumentError(`${label} must be a fraction like 0.05 or 5% in ${rangeText(b)}, got '${clip(v)}'`);
    return x;
  });
}

export function nonNegativeNumber(label: string) {
  return bounded(label, (v: string): number => {
    const b = boundOf(label, 0);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${label} must be a non-negative number, got '${clip(v)}' (range ${rangeText(b)})`);
    if (n < b.min || n > b.max) throw new InvalidArgumentError(`${label} must be in ${rangeText(b)}, got '${clip(v)}'`);
    return n;
  });
}

/** A value quoted in a message: long ones are cut so that the message stays one readable line. */
function clip(v: string): string {
  return v.length > 80 ? `${v.slice(0, 60)}... (${v.length} characters)` : v;
}

/** Characters that would break a CSV line or a terminal line when echoed. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A comma-separated list of names (models, runtimes, calibrations, nodes): at least one, at most
 * MAX_LIST, each at most MAX_NAME characters. '' and ',' are refused, not read as "nothing".
 */
export function nameList(v: string): string[] {
  const out = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!out.length) throw new InvalidArgumentError(`expected a comma-separated list of at least one name, got '${clip(v)}'`);
  if (out.length > MAX_LIST) throw new InvalidArgumentError(`expected at most ${MAX_LIST} names, got ${out.length}`);
  const long = out.find((s) => s.length > MAX_NAME);
  if (long) throw new InvalidArgumentError(`a name is at most ${MAX_NAME} characters, got one of ${long.length}`);
  const ctl = out.find((s) => CONTROL.test(s));
  if (ctl) throw new InvalidArgumentError(`names may not contain control characters (tab, newline...), got '${clip(JSON.stringify(ctl))}'`);
  return out;
}

/** Free text recorded in every row (`--suite`): 1 to MAX_TEXT characters, no control characters. */
export function freeText(label: string) {
  return (v: string): string => {
    if (v.length < 1 || v.length > MAX_TEXT) throw new InvalidArgumentError(`${label} must be 1 to ${MAX_TEXT} characters, got ${v.length}`);
    if (CONTROL.test(v)) throw new InvalidArgumentError(`${label} may not contain control characters (tab, newline...), got ${clip(JSON.stringify(v))}`);
    return v;
  };
}

export function fractionList(label: string) {
  return (v: string): number[] => {
    const out = v.split(',').map((x) => Number(x.trim()));
    if (out.length > MAX_LIST || out.some((r) => !(r > 0 && r < 1))) throw new InvalidArgumentError(`${label} must be a comma-separated list of numbers in (0, 1), got '${clip(v)}'`);
    return out;
  };
}

/** What `bench` and `ablate` share: how rows are measured. */
export interface MeasureOptions {
  runtimes: string[];
  batch: number[];
  seed: number;
  threads: number;
  /** Undefined when not given: warm up until steady state. */
  warmup?: number;
  /** Undefined when not given: DEFAULT_TIMING's. */
  samples?: number;
  timeMs?: number;
  timeoutS: number;
  isolate: boolean;
  out?: string;
  strict?: boolean;
  /** Tolerances of close_fraction and tie-aware agreement. */
  atol: number;
  rtol: number;
  /** `--sessions` (addSessionsOption). */
  sessions?: number;
  /** `--browser <path>`: the Chromium or Chrome of the browser runtimes. */
  browser?: string;
  /** false with `--no-cross-origin-isolation` (commander sets true otherwise). */
  crossOriginIsolation?: boolean;
}

export function addMeasureOptions(cmd: Command, runtimes: readonly string[]): Command {
  return cmd
    .option('--runtimes <names>', `comma-separated runtimes: ${RUNTIMES.join(', ')}`, nameList, [...runtimes])
    .option('--batch <sizes>', 'comma-separated batch sizes', positiveIntList('--batch'), [1])
    .option('--seed <n>', 'weight initialisation seed', nonNegativeInt('--seed'), 1)
    .option('--threads <n>', "intra-op threads for cpu, webgpu and browser-wasm (0: ORT's default; browser-wasm: the cores the page reports)", nonNegativeInt('--threads'), 0)
    .option('--warmup <n>', 'exactly this many warm-up runs (default: until steady state, 2-8 s)', nonNegativeInt('--warmup'))
    .option('--samples <n>', `timed runs: exactly this many unless --time-ms is given (default: at least ${DEFAULT_TIMING.minSamples} and ${DEFAULT_TIMING.minTimeMs} ms)`, positiveInt('--samples'))
    .option('--time-ms <n>', 'and at least this much timed wall time', nonNegativeInt('--time-ms'))
    .option('--timeout-s <n>', 'give up on one (model, runtime) after this long: status timeout', positiveInt('--timeout-s'), 600)
    .option('--no-isolate', 'run runtimes in this process (faster start; a native crash ends the sweep)')
    .option('--browser <path>', `Chromium or Chrome for the browser-* runtimes (default ${DEFAULT_CHROMIUM})`)
    .option('--no-cross-origin-isolation', 'serve the browser-* page without COOP/COEP, as a site that lacks them: ORT-web then runs one thread and the page clock steps by 100 us')
    .option('-o, --out <file.csv>', 'report path (default: reports/<run id>.csv); rows are appended')
    .option('--strict', 'exit 1 when any row is not ok or unavailable')
    .option('--atol <x>', 'absolute tolerance of close_fraction and of tie-aware agreement with the fp32 cpu reference', nonNegativeNumber('--atol'), DEFAULT_TOLERANCE.atol)
    .option('--rtol <x>', 'relative tolerance of the same (numpy.allclose: |y - y_ref| <= atol + rtol |y_ref|)', nonNegativeNumber('--rtol'), DEFAULT_TOLERANCE.rtol);
}

/** `--browser` and `--no-cross-origin-isolation` as the sweep takes them. */
export const browserOf = (o: Pick<MeasureOptions, 'browser' | 'crossOriginIsolation'>): BrowserOptions => ({ ...(o.browser ? { executablePath: o.browser } : {}), isolated: o.crossOriginIsolation !== false });

/** `--atol` and `--rtol` as the sweep takes them. */
export const toleranceOf = (o: Pick<MeasureOptions, 'atol' | 'rtol'>): Tolerance => ({ atol: o.atol, rtol: o.rtol });

export function checkedRuntimes(names: string[]): RuntimeName[] {
  const bad = names.filter((r) => !isRuntimeName(r));
  if (bad.length) throw new UserError(`unknown runtime '${bad[0]}'; choose from: ${RUNTIMES.join(', ')}`);
  return names as RuntimeName[];
}

/**
 * Timing on a software (SwiftShader) adapter: `fallback` (a few runs: a correctness check) unless
 * --warmup or --samples is given, which then mean what they say there too.
 */
export function softwareTimingOf(o: MeasureOptions, fallback: TimingConfig): TimingConfig {
  return o.warmup === undefined && o.samples === undefined ? fallback : timingOf(o);
}

/** Options given mean exactly what they say: --warmup N is N runs (no steady-state warm-up), --samples N is N samples (no minimum time unless --time-ms). */
export function timingOf(o: MeasureOptions): TimingConfig {
  const { steady, ...fixed } = DEFAULT_TIMING;
  return {
    ...fixed,
    ...(o.warmup === undefined ? { steady } : { warmupIterations: o.warmup, warmupTimeMs: 0 }),
    minSamples: o.samples ?? DEFAULT_TIMING.minSamples,
    minTimeMs: o.timeMs ?? (o.samples === undefined ? DEFAULT_TIMING.minTimeMs : 0),
  };
}

// ---- model inputs (#12): --dim, --shape, --input, repeatable ----

/** Largest size of one dim given by --dim or --shape (a whole input is bounded by MAX_BATCH_VALUES). */
export const MAX_DIM = 2 ** 28;

/** A repeatable option: each occurrence parsed, collected in order. */
export function collect<T>(parse: (v: string) => T) {
  return (v: string, prev: T[] = []): T[] => [...prev, parse(v)];
}

function nameValue(flag: string, v: string, form: string): [string, string] {
  const i = v.indexOf('=');
  const name = v.slice(0, i).trim();
  if (i < 1 || !name) throw new InvalidArgumentError(`${flag} must be ${form}, got '${clip(v)}'`);
  if (CONTROL.test(v)) throw new InvalidArgumentError(`${flag} may not contain control characters, got ${clip(JSON.stringify(v))}`);
  return [name, v.slice(i + 1).trim()];
}

function dimSize(flag: string, v: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > MAX_DIM) throw new InvalidArgumentError(`${flag}: '${clip(v)}' needs a size that is an integer in [0, ${MAX_DIM}]`);
  return n;
}

/** `--dim name=value`: a named free dim of the model's inputs (onnxruntime_perf_test's -f). */
export function dimFlag(v: string): [string, number] {
  const [name, text] = nameValue('--dim', v, 'name=value (e.g. --dim batch=1)');
  return [name, dimSize('--dim', v, text)];
}

/** `--shape input=1x512` (`input=` for a scalar): a whole input's shape. */
export function shapeFlag(v: string): [string, number[]] {
  const [name, text] = nameValue('--shape', v, 'input=AxBx... (e.g. --shape input=1x512)');
  return [name, text === '' ? [] : text.split('x').map((d) => dimSize('--shape', v, d.trim()))];
}

/** `--input name=<file.npy|number|audio.wav>`, or a bare features .npy for the log-mel input. */
export function inputFlag(v: string): { name?: string; value: string } {
  const i = v.indexOf('=');
  // NOTE: a path may hold '=' too; a name never holds '/'.
  if (i < 1 || v.slice(0, i).includes('/')) {
    if (!v.trim()) throw new InvalidArgumentError(`--input must be name=<file.npy|number|audio.wav> or a features .npy, got ''`);
    return { value: v };
  }
  const [name, value] = nameValue('--input', v, 'name=<file.npy|number|audio.wav>');
  if (!value) throw new InvalidArgumentError(`--input ${name}= needs a value: a .npy file, a number or a .wav/.flac file`);
  return { name, value };
}

/**
 * `--sessions N` (bench, ablate): measure each cell in N independent sessions (src/sweep/sessions.ts),
 * so that `compare` can test with the session as its unit; `fallback` is the command's default.
 */
export function addSessionsOption(cmd: Command, fallback = 1): Command {
  return cmd.option('--sessions <n>', `independent sessions per cell, each with its own process, warm-up and samples (compare then tests per session: use 5 for runs you will compare); default ${fallback}`, positiveInt('--sessions'), fallback);
}
