/**
 * How fast the CLI starts: the median wall time of `melbench --help` and `melbench models` (the
 * compiled bundle that bin/melbench.mjs runs, built once before timing) beside a bare `node -e 0`,
 * interleaved, `--runs` each. Targets (issue 24): --help <= 0.3 s, models <= 1 s.
 *
 *   npx tsx benchmarks/cli-start.ts [--runs 8]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { positiveInt } from '../src/commands/options.ts';

const o = new Command().option('--runs <n>', 'runs of each command', positiveInt('--runs'), 8).parse().opts<{ runs: number }>();

const cases: [string, string[], number | undefined][] = [
  ['node -e 0', ['-e', '0'], undefined],
  ['melbench --help', ['bin/melbench.mjs', '--help'], 0.3],
  ['melbench models', ['bin/melbench.mjs', 'models'], 1],
];

function wall(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

// NOTE: the first run builds dist/ when it is stale; it is not timed.
wall(['bin/melbench.mjs', '--version']);
const times = cases.map(() => [] as number[]);
for (let k = 0; k < o.runs; k++) cases.forEach(([, args], i) => times[i].push(wall(args)));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [i, [name, , target]] of cases.entries()) {
  const m = median(times[i]);
  console.log(`${name.padEnd(16)} median ${m.toFixed(3)} s over ${o.runs} runs${target ? ` (target <= ${target} s: ${m <= target ? 'met' : 'NOT met'})` : ''}`);
}
console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}; ${new Date().toISOString().slice(0, 10)}`);
