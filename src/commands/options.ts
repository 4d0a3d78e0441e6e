/**
 * Parsers for option values shared by several commands: each rejects a bad value with one line.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { UserError } from '../errors.ts';
import { isRuntimeName, RUNTIMES, type RuntimeName } from '../runners/runner.ts';
import { DEFAULT_TIMING, type TimingConfig } from '../runners/timing.ts';

export function positiveIntList(label: string) {
  return (v: string): number[] => {
    const xs = v.split(',').map((s) => s.trim());
    const out = xs.map(Number);
    if (!xs.length || out.some((n, i) => !/^\d+$/.test(xs[i]) || n < 1)) {
      throw new InvalidArgumentError(`${label} must be a comma-separated list of positive integers, got '${v}'`);
    }
    return out;
  };
}

export function positiveInt(label: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1) throw new InvalidArgumentError(`${label} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function nonNegativeInt(label: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${label} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export function nonNegativeNumber(label: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${label} must be a non-negative number, got '${v}'`);
    return n;
  };
}

export const nameList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export function fractionList(label: string) {
  return (v: string): number[] => {
    const out = v.split(',').map((x) => Number(x.trim()));
    if (out.some((r) => !(r > 0 && r < 1))) throw new InvalidArgumentError(`${label} must be a comma-separated list of numbers in (0, 1), got '${v}'`);
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
}

export function addMeasureOptions(cmd: Command, runtimes: readonly string[]): Command {
  return cmd
    .option('--runtimes <names>', `comma-separated runtimes: ${RUNTIMES.join(', ')}`, nameList, [...runtimes])
    .option('--batch <sizes>', 'comma-separated batch sizes', positiveIntList('--batch'), [1])
    .option('--seed <n>', 'weight initialisation seed', nonNegativeInt('--seed'), 1)
    .option('--threads <n>', 'intra-op threads for cpu/webgpu (0: ORT default)', nonNegativeInt('--threads'), 0)
    .option('--warmup <n>', 'exactly this many warm-up runs (default: until steady state, 2-8 s)', nonNegativeInt('--warmup'))
    .option('--samples <n>', `timed runs: exactly this many unless --time-ms is given (default: at least ${DEFAULT_TIMING.minSamples} and ${DEFAULT_TIMING.minTimeMs} ms)`, positiveInt('--samples'))
    .option('--time-ms <n>', 'and at least this much timed wall time', nonNegativeInt('--time-ms'))
    .option('--timeout-s <n>', 'give up on one (model, runtime) after this long: status timeout', positiveInt('--timeout-s'), 600)
    .option('--no-isolate', 'run runtimes in this process (faster start; a native crash ends the sweep)')
    .option('-o, --out <file.csv>', 'report path (default: reports/<run id>.csv); rows are appended')
    .option('--strict', 'exit 1 when any row is not ok or unavailable');
}

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
