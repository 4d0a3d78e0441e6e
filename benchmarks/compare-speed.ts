/**
 * How long `melbench compare base.csv cur.csv` takes at its defaults on a run the size CI gates:
 * `--cells` cells (default 10), each with `--seconds` of samples (default 3) of a model taking
 * `--ms` per run (default 0.05 ms: a tiny model, so 60,000 samples a cell), one session per side
 * (the stored-run block bootstrap, the most expensive path) or `--sessions N`. The runs are written
 * as `bench` writes them (CsvReport + SamplesLog), then the real CLI is spawned and timed, `--repeats`
 * times; it prints the median wall time and the target (<= 5 s, issue 24).
 *
 *   npx tsx benchmarks/compare-speed.ts [--cells 10] [--seconds 3] [--ms 0.05] [--sessions 1] [--repeats 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { positiveInt } from '../src/commands/options.ts';
import { makeRow } from '../src/report/columns.ts';
import { CsvReport } from '../src/report/csv.ts';
import { SamplesLog } from '../src/report/samples.ts';
import { Rng } from '../src/rng.ts';

const o = new Command()
  .option('--cells <n>', 'cells per run', positiveInt('--cells'), 10)
  .option('--seconds <s>', 'seconds of samples per cell', Number, 3)
  .option('--ms <ms>', 'latency of one run, ms', Number, 0.05)
  .option('--sessions <n>', 'sessions per cell', positiveInt('--sessions'), 1)
  .option('--repeats <n>', 'timed compare runs', positiveInt('--repeats'), 3)
  .parse()
  .opts<{ cells: number; seconds: number; ms: number; sessions: number; repeats: number }>();

const n = Math.round((o.seconds * 1000) / o.ms);
const dir = mkdtempSync(join(tmpdir(), 'melbench-compare-speed-'));

function writeRun(name: string, seed: number): string {
  const path = join(dir, `${name}.csv`);
  const csv = new CsvReport(path).open();
  const log = new SamplesLog(join(dir, `${name}.samples.jsonl`));
  const rng = new Rng(seed);
  for (let c = 0; c < o.cells; c++) {
    // NOTE: in the order taken, with a slow drift, as real runs are: the block bootstrap's path.
    const s = Array.from({ length: n }, (_, i) => o.ms * (1 + 0.02 * Math.sin(i / 5000)) * Math.exp(rng.normal(0, 0.05)));
    const sizes = Array.from({ length: o.sessions }, (_, k) => Math.floor(((k + 1) * n) / o.sessions) - Math.floor((k * n) / o.sessions));
    const row = { run_id: name, model: `m${c}`, variant: 'fp32', runtime: 'cpu', batch: 1 };
    csv.append(makeRow({ ...row, threads: 0, preset: 'default', status: 'ok', samples: n, model_bytes: 5000, software_adapter: false, sessions: o.sessions }));
    log.append({ ...row, samples_ms: s, ...(o.sessions > 1 ? { session_sizes: sizes } : {}) });
  }
  return path;
}

const base = writeRun('base', 1);
const cur = writeRun('cur', 2);
const times: number[] = [];
for (let k = 0; k < o.repeats; k++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/melbench.mjs', 'compare', base, cur, '--no-report', '--json'], { encoding: 'utf8' });
  times.push((performance.now() - t0) / 1000);
  if (r.status !== 0 && r.status !== 1) throw new Error(`compare exited ${r.status}: ${r.stderr}`);
}
rmSync(dir, { recursive: true, force: true });
times.sort((a, b) => a - b);
const median = times[times.length >> 1];
console.log(`compare at its defaults: ${o.cells} cells x ${n} samples (${o.seconds} s of ${o.ms} ms runs), ${o.sessions} session(s) per side`);
console.log(`wall s per compare (${o.repeats} runs): ${times.map((t) => t.toFixed(2)).join(', ')}; median ${median.toFixed(2)} s (target <= 5 s: ${median <= 5 ? 'met' : 'NOT met'})`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}; ${new Date().toISOString().slice(0, 10)}`);
