/**
 * Sweeps that survive: the real CLI is SIGKILLed (its whole process group, isolated workers
 * included) midway, twice, and `--resume` completes the run; planted crashes and hangs become
 * `crashed` and `timeout` rows of a sweep that completes; `--retry-failed` measures them again.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { readReport } from '../../src/report/csv.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const MODELS = ['dws-resnet', 'bir-resnet'];
const RUNTIMES = ['cpu', 'wasm'];
const BATCHES = [1, 2];
const SWEEP = ['--models', MODELS.join(','), '--runtimes', RUNTIMES.join(','), '--batch', BATCHES.join(','), '--warmup', '1', '--samples', '3', '--time-ms', '0', '--no-report'];
const ALL_CELLS = MODELS.flatMap((m) => RUNTIMES.flatMap((rt) => BATCHES.map((b) => `${m}|${rt}|${b}`))).sort();

/** A row as the sweep prints it when done: '  dws-resnet cpu b1: ok p50 ...' (fp32 variant unnamed). */
const DONE_LINE = /^ {2}(\S+) (cpu|wasm) b(\d+): (\w+)/;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Cells printed as done, model|runtime|batch. */
  printed: string[];
}

/** Runs the CLI in its own process group; with `killAfter`, SIGKILLs the group once that many rows are printed as done. */
function melbench(args: string[], opts: { killAfter?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    const printed: string[] = [];
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const lines = stderr.split('\n').slice(0, -1);
      printed.length = 0;
      for (const l of lines) {
        const m = DONE_LINE.exec(l);
        if (m) printed.push(`${m[1]}|${m[2]}|${m[3]}`);
      }
      if (!killed && opts.killAfter !== undefined && printed.length >= opts.killAfter) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    const guard = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`melbench ${args.join(' ')} did not finish within 120 s:\n${stderr}`));
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, printed: [...printed] });
    });
  });
}

const cellOf = (r: Record<string, unknown>) => `${r.model}|${r.runtime}|${r.batch}`;

/**
 * The CSV's rows and the samples log, checked to agree row for row. After a SIGKILL (`killed`),
 * the CSV's last row may lack its samples record: the kill can land between the row's two writes
 * (CSV first), which `--resume` repairs by measuring that cell again.
 */
function readRun(csv: string, killed = false) {
  const rows = readReport(csv);
  const samples = readFileSync(csv.replace(/\.csv$/, '.samples.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { run_id: string; model: string; runtime: string; batch: number; samples_ms: number[] });
  const ok = rows.filter((r) => r.status === 'ok');
  const unsampled = ok.filter((r) => !samples.some((s) => cellOf(s) === cellOf(r)));
  if (killed && unsampled.length === 1 && unsampled[0] === rows[rows.length - 1]) ok.pop();
  expect(samples.map(cellOf).sort()).toEqual(ok.map(cellOf).sort());
  for (const s of samples) {
    const row = ok.find((r) => cellOf(r) === cellOf(s))!;
    expect(s.run_id).toBe(row.run_id);
    expect(s.samples_ms.length).toBe(Number(row.samples));
  }
  return { rows, samples };
}

describe('bench --resume', () => {
  it('completes a run SIGKILLed twice: every printed row kept, no duplicate, no missing cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-resume-'));
    const csv = join(dir, 'run.csv');

    const first = await melbench(['bench', ...SWEEP, '-o', csv], { killAfter: 1 });
    expect(first.signal).toBe('SIGKILL');
    expect(first.printed.length).toBeGreaterThanOrEqual(1);
    const afterFirst = readRun(csv, true).rows;
    expect(afterFirst.length).toBeLessThan(ALL_CELLS.length);
    for (const c of first.printed) expect(afterFirst.map(cellOf)).toContain(c);
    const runId = afterFirst[0].run_id;

    const second = await melbench(['bench', '--resume', csv, '--no-report'], { killAfter: 2 });
    expect(second.signal).toBe('SIGKILL');
    // NOTE: the kill may land between a row's CSV line and its samples record: resume then measures that cell again, and says so.
    const torn = second.stderr.includes('has a row but no samples record (killed between the two writes?)');
    expect(second.stderr).toContain(`resuming run ${runId}: ${afterFirst.length - (torn ? 1 : 0)} cell(s) already done`);
    // NOTE: a resumed run measures only what is left: nothing printed twice.
    if (!torn) for (const c of second.printed) expect(first.printed).not.toContain(c);
    const afterSecond = readRun(csv, true).rows;
    for (const c of [...first.printed, ...second.printed]) expect(afterSecond.map(cellOf)).toContain(c);
    expect(afterSecond.length).toBeGreaterThan(afterFirst.length);
    expect(afterSecond.length).toBeLessThan(ALL_CELLS.length);

    // A kill in mid-write: a torn last line in each file, and an ok row whose samples record never made it.
    const samplesPath = csv.replace(/\.csv$/, '.samples.jsonl');
    const lines = readFileSync(samplesPath, 'utf8').split('\n').filter(Boolean);
    const orphan = JSON.parse(lines[lines.length - 1]) as Record<string, string>;
    writeFileSync(samplesPath, `${lines.slice(0, -1).join('\n')}\n{"run_id":"${runId}","model":"dws-`);
    appendFileSync(csv, `2,${runId},2026-11-29T21:00:00.000Z,adhoc,bir-res`);

    const third = await melbench(['bench', '--resume', csv]);
    expect(third.code).toBe(0);
    expect(third.stderr).toMatch(/last line of .*run\.csv has no trailing newline .* moved it to .*run\.csv\.torn/);
    expect(third.stderr).toMatch(/last line of .*run\.samples\.jsonl has no trailing newline .* moved it to .*\.torn/);
    expect(third.stderr).toContain(`${orphan.model} fp32 ${orphan.runtime} ${orphan.batch} has a row but no samples record`);
    expect(third.printed).toContain(cellOf(orphan));
    expect(readFileSync(`${csv}.torn`, 'utf8')).toContain('bir-res');
    expect(readFileSync(`${csv}.aside`, 'utf8')).toContain(`,${orphan.model},`);

    const { rows } = readRun(csv);
    expect(rows.map(cellOf).sort()).toEqual(ALL_CELLS);
    expect(new Set(rows.map((r) => r.run_id))).toEqual(new Set([runId]));
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    // The report at the end of the run is written and its path printed.
    const html = /^html: (.*)$/m.exec(third.stdout)?.[1];
    expect(html).toBe(join(dir, 'run', 'index.html'));
    expect(readFileSync(html!, 'utf8')).toContain('<svg');
  }, 240_000);

  it('refuses other settings with one line naming each (exit 2), and a run with no settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-resume-'));
    const csv = join(dir, 'run.csv');
    const done = await melbench(['bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--warmup', '0', '--samples', '1', '--no-report', '-o', csv]);
    expect(done.code).toBe(0);
    const r = spawnSync(process.execPath, [BIN, 'bench', '--resume', csv, '--threads', '2', '--batch', '1,4', '--runtimes', 'cpu'], { encoding: 'utf8' });
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^melbench: error: --resume: settings differ from run \S+: --batch \[1,4\] \(the run has \[1\]\); --threads 2 \(the run has 0\); drop them/)]);
    const none = spawnSync(process.execPath, [BIN, 'bench', '--resume', join(dir, 'other.csv')], { encoding: 'utf8' });
    expect(none.status).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/--resume: no such report/);
    expect(readReport(csv)).toHaveLength(1);
  }, 120_000);
});

describe('a sweep with a planted crash and hang', () => {
  it('records crashed and timeout rows and completes; --retry-failed measures them again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-crash-'));
    const csv = join(dir, 'run.csv');
    // The crashing runtime first: the sweep must go on to the next one.
    const args = ['bench', '--models', 'dws-resnet', '--runtimes', 'wasm,cpu', '--warmup', '1', '--samples', '3', '--time-ms', '0', '--timeout-s', '10', '--no-report', '-o', csv];
    const run = await melbench(args, { env: { MELBENCH_TEST_CRASH: 'wasm:abort' } });
    expect(run.code).toBe(0);
    let rows = readRun(csv).rows;
    expect(rows.map((r) => `${cellOf(r)} ${r.status}`)).toEqual(['dws-resnet|wasm|1 crashed', 'dws-resnet|cpu|1 ok']);
    expect(rows.find((r) => r.runtime === 'wasm')!.error).toMatch(/worker killed by SIGABRT/);

    // Kept without --retry-failed: nothing to do.
    const kept = await melbench(['bench', '--resume', csv, '--no-report']);
    expect(kept.code).toBe(0);
    expect(kept.printed).toEqual([]);

    // Retried: the crashed cells are measured again (a hang on cpu now), the old rows moved aside.
    const retried = await melbench(['bench', '--resume', csv, '--retry-failed', '--timeout-s', '10', '--no-report'], { env: { MELBENCH_TEST_CRASH: 'cpu:hang' } });
    expect(retried.code).toBe(0);
    expect(retried.printed).toEqual(['dws-resnet|wasm|1']);
    rows = readRun(csv).rows;
    expect(rows.map((r) => `${cellOf(r)} ${r.status}`).sort()).toEqual(['dws-resnet|cpu|1 ok', 'dws-resnet|wasm|1 ok']);
    expect(readFileSync(`${csv}.aside`, 'utf8').match(/crashed/g)).toHaveLength(1);

    // A hang becomes a timeout row and the sweep goes on to the next runtime and model.
    const hung = join(dir, 'hung.csv');
    const cpuFirst = args.map((a) => (a === 'wasm,cpu' ? 'cpu,wasm' : a));
    const h = await melbench([...cpuFirst.slice(0, -1), hung], { env: { MELBENCH_TEST_CRASH: 'cpu:hang' } });
    expect(h.code).toBe(0);
    const hungRows = readRun(hung).rows;
    expect(hungRows.map((r) => `${cellOf(r)} ${r.status}`).sort()).toEqual(['dws-resnet|cpu|1 timeout', 'dws-resnet|wasm|1 ok']);
    expect(hungRows.find((r) => r.runtime === 'cpu')!.error).toMatch(/no result within 10000 ms; worker killed/);
    expect(existsSync(join(dir, 'hung'))).toBe(false);
  }, 240_000);
});
