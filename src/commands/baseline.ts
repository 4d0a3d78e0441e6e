/**
 * `melbench baseline`: the quick suite that CI gates on, and its committed baseline.
 *
 * - `baseline run -o current.csv` measures the quick suite into a new report (never the baseline);
 * - `baseline update` measures it and replaces reports/baselines/quick.csv (+ .samples.jsonl),
 *   deliberately: the new run is written beside it first and renamed over it only when the sweep
 *   has finished with every row ok, so a failed or interrupted update leaves the old baseline.
 * CI then runs `melbench compare reports/baselines/quick.csv current.csv`.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { rowTable } from '../report/row-table.ts';
import { samplesPathFor } from '../report/csv.ts';
import { DEFAULT_TIMING } from '../runners/timing.ts';
import { newRunId, openRunFiles } from '../sweep/run-lifecycle.ts';
import { prepareModels } from '../sweep/models.ts';
import { runSweep, SOFTWARE_TIMING, type SweepConfig } from '../sweep/sweep.ts';
import type { RegisterCommand } from './command.ts';

/**
 * A few small zoo models on cpu, one thread (steadier on a shared runner), batch 1, each in 5
 * independent sessions (its own process and warm-up), so that `compare` tests latency with the
 * session as its unit: with one session per side, the same config was flagged 3–7 times in 20 on a
 * shared 2-core machine, with 5 sessions 0 in 20 (docs/results.md, "Gate error rates"). About 2–3 minutes.
 */
export const QUICK_SUITE = { name: 'quick', models: ['dws-resnet', 'bir-resnet', 'dcase-baseline'], runtimes: ['cpu'] as const, batches: [1], threads: 1, sessions: 5 };

export const BASELINE_PATH = 'reports/baselines/quick.csv';

async function runQuickSuite(out: string): Promise<boolean> {
  const runId = newRunId();
  const cfg: SweepConfig = {
    runId,
    suite: QUICK_SUITE.name,
    models: QUICK_SUITE.models,
    runtimes: [...QUICK_SUITE.runtimes],
    batches: QUICK_SUITE.batches,
    classes: 10,
    seed: 1,
    threads: QUICK_SUITE.threads,
    timing: DEFAULT_TIMING,
    softwareTiming: SOFTWARE_TIMING,
    timeoutMs: 600_000,
    isolate: true,
    sessions: QUICK_SUITE.sessions,
  };
  const models = prepareModels(cfg);
  const sinks = openRunFiles(runId, out, (line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`melbench: ${QUICK_SUITE.name} suite: ${QUICK_SUITE.models.join(', ')} on ${QUICK_SUITE.runtimes.join(', ')}, ${QUICK_SUITE.sessions} sessions per cell -> ${out}\n`);
  const rows = await runSweep(cfg, models, sinks);
  process.stdout.write(rowTable(rows));
  return rows.every((r) => r.status === 'ok');
}

export const register: RegisterCommand = (program) => {
  const baseline = program.command('baseline').description(`the quick suite CI gates on (${QUICK_SUITE.models.join(', ')} on cpu) and its committed baseline ${BASELINE_PATH}`);
  baseline
    .command('run')
    .description('measure the quick suite into a new report, to compare with the baseline')
    .requiredOption('-o, --out <file.csv>', 'report path (must not exist)')
    .action(async (o: { out: string }) => {
      if (existsSync(o.out)) throw new UserError(`${o.out} exists; choose a new path (nothing is overwritten)`, EXIT.output);
      if (!(await runQuickSuite(o.out))) process.exitCode = 1;
      process.stdout.write(`report: ${o.out}\ncompare with: melbench compare ${BASELINE_PATH} ${o.out}\n`);
    });
  baseline
    .command('update')
    .description(`re-measure the quick suite here and replace ${BASELINE_PATH} (commit it deliberately)`)
    .option('--path <file.csv>', 'baseline to replace', BASELINE_PATH)
    .action(async (o: { path: string }) => {
      const tmp = o.path.replace(/\.csv$/, '') + `.new-${process.pid}.csv`;
      try {
        if (!(await runQuickSuite(tmp))) throw new UserError(`some rows of the new run are not ok; ${o.path} left as it was (the new run is in ${tmp})`, EXIT.rowsFailed);
        renameSync(samplesPathFor(tmp), samplesPathFor(o.path));
        renameSync(tmp, o.path);
        process.stdout.write(`baseline: ${o.path} (+ ${samplesPathFor(o.path)}); review and commit it\n`);
      } catch (e) {
        if (!(e instanceof UserError)) for (const p of [tmp, samplesPathFor(tmp)]) rmSync(p, { force: true });
        throw e;
      }
    });
};
