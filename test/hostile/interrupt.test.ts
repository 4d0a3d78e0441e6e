/**
 * SIGINT or SIGTERM sent to the melbench process alone (not its process group, as some job
 * runners do) ends its worker within a second, keeps the rows completed so far, and prints one
 * line with the exact command that finishes the run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, childrenOf } from '../fixtures/processes.ts';

const workersOf = (pid: number) => childrenOf(pid, /isolate-worker/);

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
      // NOTE: the availability and reference children come and go first (one may still be exiting
      // when the next starts); the measuring child is the one that stays: wait until a worker has
      // been alive for 2 s, then interrupt with it alone running.
      const seen = new Map<number, number>();
      let workers: number[] = [];
      for (let t = 0; t < 240; t++) {
        await sleep(250);
        workers = workersOf(child.pid!);
        for (const w of workers) if (!seen.has(w)) seen.set(w, Date.now());
        if (workers.some((w) => Date.now() - seen.get(w)! >= 2000)) break;
      }
      expect(workers.length, stderr).toBeGreaterThan(0);
      process.kill(child.pid!, signal);
      const code = await exited;
      await sleep(1000);
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      for (const w of workers) expect(alive(w), `worker ${w} still running`).toBe(false);
      const line = stderr.trim().split('\n').at(-1)!;
      expect(line).toBe(`melbench: interrupted by ${signal} (1 worker process(es) killed); every completed row is in ${csv}; finish the run with: melbench bench --resume ${csv}`);
      // the run can be resumed from what it saved
      expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^schema,run_id,/);
    }, 90_000);
  }
});
