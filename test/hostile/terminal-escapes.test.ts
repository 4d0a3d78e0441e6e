/**
 * Names melbench did not choose (a model file's name, an input's or a node's name inside a model)
 * cannot act on the user's terminal: ESC, CR and other control characters reach stdout and stderr
 * as visible escapes (src/commands/terminal-guard.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { visible } from '../../src/commands/terminal-guard.ts';
import { melbenchInProcess as melbench } from '../cli/run-in-process.ts';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('control characters in names', () => {
  it('visible() escapes C0 (but tab and newline), DEL and C1', () => {
    expect(visible('a\u001b[2Jb\rc\td\ne\u007f\u009b')).toBe('a\\x1b[2Jb\\rc\td\ne\\x7f\\u009b');
  });

  it("a model file whose name holds '\\e[2J' and '\\r': stdout and stderr carry it escaped", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-escapes-'));
    const model = join(dir, 'evil\u001b[2J\rname.onnx');
    copyFileSync('test/data/tiny-cnn.onnx', model);
    const r = await melbench('bench', model, '--runtimes', 'cpu', '--samples', '3', '--warmup', '1', '--time-ms', '0', '--no-isolate', '--no-report', '-o', join(dir, 'r.csv'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('evil\\x1b[2J\\rname');
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stderr).not.toMatch(CONTROL);
    // an error naming it too
    const bad = await melbench('bench', model, '--runtimes', 'cpu', '--input', 'nope=1', '--no-report', '-o', join(dir, 'r2.csv'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('evil\\x1b[2J\\rname');
    expect(bad.stderr).not.toMatch(CONTROL);
  }, 60_000);

  it('HTML in a model file name is text in bench --export-markdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-md-'));
    const model = join(dir, '<img src=x onerror=alert(1)><details open>.onnx');
    copyFileSync('test/data/tiny-cnn.onnx', model);
    const md = join(dir, 'rows.md');
    const r = await melbench('bench', model, '--runtimes', 'cpu', '--samples', '3', '--warmup', '1', '--time-ms', '0', '--no-isolate', '--no-report', '-o', join(dir, 'r.csv'), '--export-markdown', md);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text).not.toMatch(/<img|<details/);
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;details open&gt;');
  }, 60_000);
});
