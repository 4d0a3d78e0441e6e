/**
 * `melbench compare`: the CI gate. Either two stored runs (`compare base.csv current.csv`, each
 * with its .samples.jsonl beside it) or an interleaved A/B run of two models measured here and
 * now (`compare --models a b`). Prints a Markdown report (also appended to $GITHUB_STEP_SUMMARY),
 * optionally JSON and the Bencher / github-action-benchmark exports. Exit 0: no regression;
 * 1: a regression, or a baseline cell with no comparable current cell (unless --allow-missing);
 * 2: usage or input error (bad option, missing or malformed file, nothing comparable at all).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { EXIT, UserError } from '../errors.ts';
import { bencherMetricFormat, githubActionBenchmark, jsonReport, markdownReport, type ReportHeader } from '../report/compare-output.ts';
import { type CellData, type CellResult, compareRuns, DEFAULT_GATE, type FingerprintDiff, fingerprintDiffs, type GateConfig, gateFails, judgedCells } from '../report/compare.ts';
import { compareSectionInput } from '../report/compare-section.ts';
import { samplesPathFor } from '../report/csv.ts';
import { renderReport } from '../report/html.ts';
import { loadRun } from '../report/load-run.ts';
import { writeHtml, writeReport } from '../report/write-report.ts';
import { isBrowserRuntime } from '../runners/runner.ts';
import { compareInterleaved } from '../sweep/interleave.ts';
import { prepareModels } from '../sweep/models.ts';
import { newRunId } from '../sweep/run-lifecycle.ts';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, hasFeedFlags, resolveFeedFlags } from './feed-flags.ts';
import { checkedRuntimes, fraction, nameList, nonNegativeInt, positiveInt, positiveIntList } from './options.ts';

interface CompareOptions extends FeedFlagOptions {
  models?: string[];
  runtimes: string[];
  batch: number[];
  threads: number;
  rounds: number;
  runsPerRound: number;
  warmup: number;
  timeoutS: number;
  preset?: string;
  classes: number;
  seed: number;
  latencyThreshold: number;
  f1Threshold: number;
  agreementThreshold: number;
  sizeThreshold: number;
  confidence: number;
  test: 'bootstrap' | 'mwu';
  resamples: number;
  json?: string | true;
  exportBmf?: string;
  exportGab?: string;
  report: boolean;
  allowMissing?: boolean;
}

/**
 * The interleaved A/B defaults: 120 ABBA rounds of 10 runs per side. The paired round bootstrap's
 * CI narrows as 1/√rounds, and on a shared 2-core machine the per-round ratio wanders by about ±8%:
 * at 20 rounds × 20 runs the smallest slowdown caught 19 times in 20 was 7–10%; at 60 × 10 a 5%
 * one was, but only at a 2–3% threshold, which then flagged the same config 2 times in 20; at
 * 120 × 10 with `--latency-threshold 3%`, a 5% slowdown 20/20 with no false positive in 20
 * in two runs (docs/results.md, "Gate error rates"). 12–24 s per comparison on a 0.4 ms model here, by load.
 */
export const AB_DEFAULTS = { rounds: 120, runsPerRound: 10 };

/** '5%' or '0.05'. */
function testName(v: string): 'bootstrap' | 'mwu' {
  if (v !== 'bootstrap' && v !== 'mwu') throw new InvalidArgumentError(`--test must be bootstrap or mwu, got '${v}'`);
  return v;
}

function writeOut(path: string, text: string, inputs: string[]): void {
  if (inputs.includes(resolve(path))) throw new UserError(`${path} is one of the compared files; choose another output path (nothing is overwritten)`, EXIT.usage);
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UserError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.output);
  }
}

interface Compared {
  results: CellResult[];
  base: CellData[];
  current: CellData[];
  /** The current run's CSV, when comparing stored runs. */
  curCsv?: string;
  fingerprint: FingerprintDiff[];
  baseLabel: string;
  curLabel: string;
  inputs: string[];
}

function compareFiles(files: string[], gate: GateConfig): Compared {
  const [basePath, curPath] = files;
  const base = loadRun(basePath);
  const cur = loadRun(curPath);
  const pairs: [Record<string, string>, Record<string, string>][] = [];
  for (const [k, row] of base.rows) {
    const c = cur.rows.get(k);
    if (c) pairs.push([row, c]);
  }
  return {
    results: compareRuns(base.cells, cur.cells, gate),
    base: base.cells,
    current: cur.cells,
    curCsv: curPath,
    fingerprint: fingerprintDiffs(pairs),
    baseLabel: basePath,
    curLabel: curPath,
    inputs: [basePath, curPath].flatMap((p) => [resolve(p), resolve(samplesPathFor(p))]),
  };
}

async function compareModels(o: CompareOptions, gate: GateConfig): Promise<Compared> {
  if (o.models!.length !== 2) throw new UserError(`--models takes exactly two models (baseline, candidate), got ${o.models!.length}`);
  const { feed, features } = await resolveFeedFlags(o, o.preset);
  const [a, b] = prepareModels({ models: o.models!, preset: o.preset, features, classes: o.classes, seed: o.seed, ...(feed ? { feed } : {}) });
  const runtimes = checkedRuntimes(o.runtimes);
  const browser = runtimes.find(isBrowserRuntime);
  if (browser) throw new UserError(`compare --models interleaves A and B in Node worker processes, which cannot run ${browser}: bench each model with --runtimes ${browser}, then compare the two runs' CSVs`);
  process.stderr.write(`melbench: interleaved A/B: ${o.models![0]} (A) vs ${o.models![1]} (B) on ${runtimes.join(', ')}, ${o.rounds} rounds x ${o.runsPerRound} runs per side\n`);
  const cells = await compareInterleaved(
    a,
    b,
    {
      runtimes,
      batches: o.batch,
      threads: o.threads,
      rounds: o.rounds,
      runsPerRound: o.runsPerRound,
      warmup: o.warmup,
      timeoutMs: o.timeoutS * 1000,
      onResult: (rt, batch, r) => process.stderr.write(`  ${rt} b${batch}: ${r.status}${r.error ? ` (${r.error})` : ''}\n`),
    },
    gate,
  );
  return {
    results: cells.map((c) => c.result),
    base: cells.map((c) => c.base),
    current: cells.map((c) => c.cur),
    fingerprint: [],
    baseLabel: o.models![0],
    curLabel: o.models![1],
    inputs: o.models!.filter((m) => m.endsWith('.onnx')).map((m) => resolve(m)),
  };
}

/**
 * The HTML report of a comparison, under reports/compare/ (never beside the inputs: a baseline's
 * folder is committed): for stored runs, the current run's page with the compare section, in
 * `reports/compare/<current run>/index.html` (the run's own page stays as it is); for --models,
 * which stores no run, a page with the compare section alone in `reports/compare/ab-<id>/`.
 */
async function compareReport(c: Compared): Promise<string> {
  const compare = compareSectionInput(c.results, c.base, c.current, c.baseLabel, c.curLabel);
  if (c.curCsv) return writeReport(c.curCsv, join('reports', 'compare'), { compare });
  const name = `ab-${newRunId()}`;
  const path = join('reports', 'compare', name, 'index.html');
  writeHtml(path, await renderReport({ name, csvPath: '', header: [], rows: [], samples: [], confusion: [], profile: [], warnings: [] }, { compare }));
  return path;
}

export const register: RegisterCommand = (program) => {
  const compare = program
    .command('compare')
    .description('gate on latency, F1, agreement and size: two stored runs, or an interleaved A/B of two models (--models a b)')
    .argument('[runs...]', 'baseline.csv current.csv (each with its .samples.jsonl beside it)')
    .option('--models <specs...>', 'interleaved A/B instead: baseline and candidate model (zoo names or .onnx files), measured here in alternating rounds')
    .option('--runtimes <names>', 'runtimes for --models', nameList, ['cpu'])
    .option('--batch <sizes>', 'batch sizes for --models', positiveIntList('--batch'), [1])
    .option('--threads <n>', 'intra-op threads for --models (0: ORT default)', nonNegativeInt('--threads'), 0)
    .option('--rounds <n>', 'blocks per side for --models, in ABBA order', positiveInt('--rounds'), AB_DEFAULTS.rounds)
    .option('--runs-per-round <n>', 'timed runs per block for --models', positiveInt('--runs-per-round'), AB_DEFAULTS.runsPerRound)
    .option('--warmup <n>', 'untimed runs per side before the first round', nonNegativeInt('--warmup'), 20)
    .option('--timeout-s <n>', 'give up on one runtime of --models after this long', positiveInt('--timeout-s'), 600)
    .option('--preset <name>', "features preset for --models (default: each model's own)")
    .option('--classes <n>', 'classes of zoo models for --models', positiveInt('--classes'), 10)
    .option('--seed <n>', 'weight initialisation seed of zoo models for --models', nonNegativeInt('--seed'), 1);
  // NOTE: the same --input/--dim/--shape as bench, for --models only.
  addFeedOptions(compare)
    .option('--latency-threshold <x>', 'latency change that matters, relative (0.05 or 5%)', fraction('--latency-threshold'), DEFAULT_GATE.latency)
    .option('--f1-threshold <x>', 'macro-F1 drop that matters, absolute', fraction('--f1-threshold'), DEFAULT_GATE.f1)
    .option('--agreement-threshold <x>', 'agreement_fp32 drop that matters, absolute', fraction('--agreement-threshold'), DEFAULT_GATE.agreement)
    .option('--size-threshold <x>', 'model_bytes growth that matters, relative', fraction('--size-threshold'), DEFAULT_GATE.size)
    .option('--confidence <c>', 'confidence of the latency test and CI', fraction('--confidence'), DEFAULT_GATE.confidence)
    .option('--test <name>', 'latency significance: bootstrap (CI of the ratio of medians excludes 1) or mwu (Mann-Whitney U)', testName, DEFAULT_GATE.test)
    .option('--resamples <n>', 'bootstrap resamples', positiveInt('--resamples'), DEFAULT_GATE.resamples)
    .option('--json [file]', 'write the results as JSON to file, or to stdout instead of the Markdown')
    .option('--export-bmf <file>', "write the current run's metrics in Bencher Metric Format")
    .option('--export-gab <file>', "write the current run's metrics for github-action-benchmark (customSmallerIsBetter)")
    .option('--no-report', 'do not write the HTML report (its path is printed on stderr)')
    .option('--allow-missing', 'report baseline cells with no comparable current cell (absent, unavailable, unsupported, or measured on a software adapter on one side only) without failing the gate')
    .action(async (runs: string[], o: CompareOptions) => {
      const gate: GateConfig = { ...DEFAULT_GATE, latency: o.latencyThreshold, f1: o.f1Threshold, agreement: o.agreementThreshold, size: o.sizeThreshold, confidence: o.confidence, test: o.test, resamples: o.resamples };
      if (o.models && runs.length) throw new UserError('give either two reports or --models a b, not both');
      if (!o.models && hasFeedFlags(o)) throw new UserError('--input, --dim and --shape feed the models of --models a b; stored runs were fed when they were measured');
      if (!o.models && runs.length !== 2) throw new UserError(`compare needs a baseline and a current report (got ${runs.length} file(s)), or --models a b`);
      const c = o.models ? await compareModels(o, gate) : compareFiles(runs, gate);
      // NOTE: cells that are not comparable are a finding (what differs, exit 1), not "nothing to compare", unless --allow-missing waives them.
      const flagged = !o.allowMissing && c.results.some((r) => r.category === 'incomparable');
      if (!judgedCells(c.results).length && !flagged) {
        throw new UserError(`nothing to compare: no cell of ${c.baseLabel} has a comparable cell in ${c.curLabel} (${c.results.length} cell(s): missing, unavailable, not comparable, or failed on both sides); check that both runs measured the same models and runtimes on this kind of machine`);
      }
      for (const d of c.fingerprint) {
        process.stderr.write(`melbench: warning: environments differ in ${d.column}: '${d.base}' (baseline) vs '${d.cur}' (current), ${d.cells} cell(s); latency across machines is not comparable\n`);
      }
      const oneSession = c.results.filter((r) => r.latency?.unit === 'blocks' || r.latency?.unit === 'samples').length;
      if (oneSession) process.stderr.write(`melbench: warning: ${oneSession} cell(s) have one session per side: the latency test cannot see a session's own bias; measure with \`bench --sessions 5\` (see the report)\n`);
      const header: ReportHeader = { title: 'melbench compare', baseLabel: c.baseLabel, curLabel: c.curLabel, confidence: gate.confidence, test: gate.test, latencyThreshold: gate.latency };
      const md = markdownReport(c.results, c.fingerprint, header);
      const json = `${JSON.stringify(jsonReport(c.results, c.fingerprint, header), null, 2)}\n`;
      if (o.json === true) process.stdout.write(json);
      else process.stdout.write(md);
      if (typeof o.json === 'string') writeOut(o.json, json, c.inputs);
      if (o.exportBmf) writeOut(o.exportBmf, `${JSON.stringify(bencherMetricFormat(c.current, gate.confidence), null, 2)}\n`, c.inputs);
      if (o.exportGab) writeOut(o.exportGab, `${JSON.stringify(githubActionBenchmark(c.current, gate.confidence), null, 2)}\n`, c.inputs);
      if (process.env.GITHUB_STEP_SUMMARY) {
        try {
          appendFileSync(process.env.GITHUB_STEP_SUMMARY, md);
        } catch (e) {
          process.stderr.write(`melbench: warning: cannot append to $GITHUB_STEP_SUMMARY: ${(e as Error).message}\n`);
        }
      }
      if (o.report) process.stderr.write(`melbench: html report: ${await compareReport(c)}\n`);
      if (gateFails(c.results, { allowMissing: o.allowMissing ?? false })) process.exitCode = 1;
    });
};
