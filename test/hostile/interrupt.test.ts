/**
 * SIGINT or SIGTERM sent to the melbench process alone (not its process group, as some job
 * runners do) ends its worker within a second, keeps the rows completed so far, and prints one
 * line with the exact command that finishes the run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Pids of melbench workers whose parent is `pid` (Linux /proc). */
function workersOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('isolate-worker') ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!existsSync('/proc/self/stat'))('an interrupted sweep', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to melbench alone: the worker is gone within 1 s, one line says how to resume`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'melbench-interrupt-'));
      const csv = join(dir, 'run.csv');
      // a long timed phase: 10 minutes of samples unless interrupted
      const child = spawn(process.execPath, ['bin/melbench.mjs', 'bench', 'dws-resnet', '--runtimes', 'cpu', '--warmup', '1', '--samples', '10000000', '--time-ms', '600000', '--no-report', '-o', csv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let workers: number[] = [];
      for (let t = 0; t < 120 && !workers.length; t++) {
        await sleep(250);
        workers = workersOf(child.pid!);
      }
      expect(workers.length, stderr).toBeGreaterThan(0);
      await sleep(500);
      process.kill(child.pid!, signal);
      const code = await exited;
      await sleep(1000);
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      for (const w of workers) expect(existsSync(`/proc/${w}`), `worker ${w} still running`).toBe(false);
      const line = stderr.trim().split('\n').at(-1)!;
      expect(line).toBe(`melbench: interrupted by ${signal} (1 worker process(es) killed); every completed row is in ${csv}; finish the run with: melbench bench --resume ${csv}`);
      // the run can be resumed from what it saved
      expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^schema,run_id,/);
    }, 90_000);
  }
});
