import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { progressBar } from '../../src/features/datasets/progress.ts';
import { fitTable, terminalWidth, wrapList, wrapText } from '../../src/report/terminal-table.ts';
import { editedTinyCnn } from '../sweep/sweep-fixtures.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const ESC = '\u001b';

/** Runs melbench piped (not a TTY), with `env` added; resolves to its exit code and output. */
function melbench(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const widest = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));

describe('terminal output fits COLUMNS and has no colour when piped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbench-terminal-'));
  const env = { COLUMNS: '80' };

  it('models, doctor and bench with an unavailable row: no stdout line over 80 characters, no escape codes', async () => {
    const json = join(dir, 'run.json');
    const md = join(dir, 'run.md');
    // A Vulkan ICD file that does not exist: no WebGPU adapter, so webgpu-web is `unavailable`.
    const benchEnv = { ...env, VK_ICD_FILENAMES: join(dir, 'missing-icd.json') };
    const benchArgs = ['bench', '--models', 'dws-resnet', '--runtimes', 'cpu,webgpu-web', '--samples', '5', '--warmup', '1', '--time-ms', '0', '-o', join(dir, 'run.csv')];
    const [models, doctor, bench] = await Promise.all([
      melbench(['models'], env),
      melbench(['doctor'], env),
      melbench([...benchArgs, '--export-json', json, '--export-markdown', md], benchEnv),
    ]);
    for (const [name, r] of Object.entries({ models, doctor, bench })) {
      expect(r.code, `${name}: ${r.stderr}`).toBe(EXIT.ok);
      // NOTE: the lines that name the run's files are left whole, for copying: their length is the
      // length of TMPDIR, not melbench's to fit.
      expect(widest(r.stdout.replace(/^(report|samples|json|markdown|html): .*$/gm, '')), `${name}:\n${r.stdout}`).toBeLessThanOrEqual(80);
      expect(r.stdout + r.stderr, name).not.toContain(ESC);
    }
    // Today's unconstrained widths were 142 (models), 144 (doctor) and 177 (bench): the fit did something.
    expect(models.stdout).toContain('dws-resnet');
    expect(doctor.stdout).toMatch(/environment: /);
    // The unavailable row's reason is a numbered note below the table, whole.
    const row = bench.stdout.split('\n').find((l) => l.includes('webgpu-web'))!;
    expect(row).toMatch(/unavailable.*\[1\]/);
    expect(bench.stdout).toMatch(/^\[1\] .*adapter/m);

    const rows = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    // The note is the row's whole error, wrapped: compared without whitespace, since a path longer
    // than the line (a long TMPDIR) is cut inside a word.
    const note = /^\[1\] ([^]*?)\nreport: /m.exec(bench.stdout)![1];
    expect(String(rows[1].error)).toContain('missing-icd.json');
    expect(note.replace(/\s+/g, '')).toBe(String(rows[1].error).replace(/\s+/g, ''));
    expect(rows.map((r) => [r.model, r.runtime, r.status])).toEqual([
      ['dws-resnet', 'cpu', 'ok'],
      ['dws-resnet', 'webgpu-web', 'unavailable'],
    ]);
    expect(typeof rows[0].p50_ms).toBe('number');
    expect(rows[1].p50_ms).toBeNull();
    const mdLines = readFileSync(md, 'utf8').trimEnd().split('\n');
    expect(mdLines).toHaveLength(4);
    expect(mdLines[0]).toMatch(/^\| model \| variant \| runtime \|.*\| macro-F1 \| agreement \|$/);
    expect(mdLines[3]).toMatch(/^\| dws-resnet \| fp32 \| webgpu-web \| 1 \| unavailable \|/);
  }, 120_000);

  it('an unwritable export path is refused before any work (exit 5)', async () => {
    const r = await melbench(['bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--export-json', '/proc/nope/x.json', '-o', join(dir, 'refused.csv')]);
    expect(r.code).toBe(EXIT.output);
    expect(r.stderr).toMatch(/^melbench: error: cannot write the JSON export \/proc\/nope\/x.json/);
  }, 60_000);

  it('--version prints package.json version; commander errors carry the melbench prefix and exit 2', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const [v, unknown, missing] = await Promise.all([melbench(['--version']), melbench(['bench', '--frobnicate']), melbench(['export', 'resnet'])]);
    expect(v.code).toBe(EXIT.ok);
    expect(v.stdout.trim()).toBe(pkg.version);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr.split('\n')[0]).toBe("melbench: error: unknown option '--frobnicate'");
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr.split('\n')[0]).toMatch(/^melbench: error: required option '-o, --out <file>' not specified$/);
  }, 60_000);

  it('a model with an op no runtime knows is carried to the runtime, which refuses it: an unsupported row naming the op', async () => {
    // melbench's IR carries ops it does not model (issue 12); the runtime is the judge of what runs.
    const path = editedTinyCnn(dir, 'no-such-op', (m) => {
      m.graph!.node!.find((n) => n.opType === 'Relu')!.opType = 'NoSuchOp';
    });
    const csv = join(dir, 'op.csv');
    const r = await melbench(['bench', path, '--runtimes', 'cpu', '--strict', '--no-report', '-o', csv]);
    expect(r.code).toBe(EXIT.rowsFailed);
    const row = readFileSync(csv, 'utf8').trim().split('\n')[1];
    expect(row).toContain('unsupported');
    expect(row).toMatch(/No Op registered for NoSuchOp/);
  }, 60_000);
});

describe('fitTable', () => {
  const cols = [{ head: 'name' }, { head: 'a', drop: 2 }, { head: 'b', drop: 1 }, { head: 'text', wrap: true }, { head: 'why', note: true }];
  const rows = [
    ['first', '1'.repeat(20), '2'.repeat(20), 'a long free text that has to be wrapped when the terminal is narrow', 'x'.repeat(150)],
    ['second', '3', '4', 'short', ''],
    ['third', '5', '6', 'short', 'x'.repeat(150)],
  ];

  it('fits every width from 40 to 200, drops the highest rank first, keeps rank 0', () => {
    for (let w = 40; w <= 200; w += 7) {
      const out = fitTable(cols, rows, w);
      expect(widest(out), `width ${w}:\n${out}`).toBeLessThanOrEqual(w);
      expect(out).toContain('name');
      expect(out).not.toContain(ESC);
      const head = out.split('\n')[1];
      // Rank 2 ('a') goes before rank 1 ('b').
      if (!/│ b /.test(head)) expect(head).not.toMatch(/│ a /);
    }
    const wide = fitTable(cols, rows, 300);
    expect(wide.split('\n')[1]).toMatch(/│ a .*│ b .*│ text .*│ why/);
  });

  it('moves notes below the table, numbered, one number per distinct text, wrapped to the width', () => {
    const out = fitTable(cols, rows, 80);
    const lines = out.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('[1]'))).toHaveLength(3); // two rows and the note itself
    expect(out).not.toContain('[2]');
    const note = lines.slice(lines.findIndex((l) => l.startsWith('[1] ')));
    expect(note.join('').replace(/[[\]1\s]/g, '')).toBe('x'.repeat(150));
  });

  it('leaves out a notes column with no note', () => {
    expect(fitTable(cols, [rows[1]], 200).split('\n')[1]).not.toContain('why');
  });

  it('wrapText cuts words longer than the width', () => {
    expect(wrapText('ab cdefgh i', 3)).toEqual(['ab', 'cde', 'fgh', 'i']);
  });

  it('wrapList breaks between items only, unless an item is longer than a line', () => {
    const items = ['AMD EPYC x2', '23.4 GiB', 'linux 6.1.0-27-cloud-amd64 x64', 'node 20.20.2', 'ort-node 1.30.0'];
    expect(wrapList('environment:', items, 40)).toEqual(['environment: AMD EPYC x2, 23.4 GiB,', '  linux 6.1.0-27-cloud-amd64 x64,', '  node 20.20.2, ort-node 1.30.0']);
    // At any width that holds its longest word (the kernel, 20 characters, plus the indent),
    // "node 20.20.2," is never split and the lines are the items joined.
    for (let w = 22; w <= 120; w++) {
      const lines = wrapList('environment:', items, w);
      expect(lines.some((l) => l.includes('node 20.20.2,')), `width ${w}`).toBe(true);
      for (const l of lines) expect(l.length, `width ${w}: ${l}`).toBeLessThanOrEqual(w);
      expect(lines.map((l) => l.trim()).join(' '), `width ${w}`).toBe(`environment: ${items.join(', ')}`);
    }
    // An item longer than a line is word-wrapped from where it would have started; a word longer than a line is cut.
    expect(wrapList('cpu:', ['a b c d e f g h', 'x'], 9)).toEqual(['cpu: a b', '  c d e f', '  g h, x']);
    expect(wrapList('k:', ['abcdefghij'], 6)).toEqual(['k:', '  abcd', '  efgh', '  ij']);
  });

  it('width: COLUMNS, else the TTY, else 100', () => {
    expect(terminalWidth({ COLUMNS: '80' }, { isTTY: true, columns: 120 })).toBe(80);
    expect(terminalWidth({ COLUMNS: 'x' }, { isTTY: true, columns: 120 })).toBe(120);
    expect(terminalWidth({}, { isTTY: false, columns: undefined })).toBe(100);
  });
});

describe('progress when not a TTY', () => {
  it('prints a plain line every 3 s of ticks and a last line, nothing for a short job', () => {
    let now = 1_000_000;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => now);
    const out: string[] = [];
    const p = progressBar('alerts default', 10, true, false, (s) => out.push(s));
    for (let i = 0; i < 10; i++) {
      now += 1000;
      p.tick();
    }
    p.stop();
    expect(out).toEqual(['melbench: alerts default: 3/10 clips, 3 s\n', 'melbench: alerts default: 6/10 clips, 6 s\n', 'melbench: alerts default: 9/10 clips, 9 s\n', 'melbench: alerts default: 10 clips, 10 s\n']);
    const quiet: string[] = [];
    const q = progressBar('x', 2, true, false, (s) => quiet.push(s));
    q.tick();
    q.stop();
    expect(quiet).toEqual([]);
    spy.mockRestore();
  });
});
