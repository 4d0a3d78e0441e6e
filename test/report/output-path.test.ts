/**
 * Output paths that are files: devices, FIFOs, folders and kernel pseudo-file systems are refused
 * at once with exit 5, from metadata alone (the target is never read or opened), and missing
 * folders are created one by one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { CsvReport, samplesPathFor } from '../../src/report/csv.ts';
import { prepareOutputPath } from '../../src/report/output-path.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-out-'));

function refusal(path: string): UserError {
  const t0 = performance.now();
  try {
    new CsvReport(path).open();
  } catch (e) {
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(EXIT.output);
    return e as UserError;
  }
  throw new Error(`${path} was accepted`);
}

describe('output paths', () => {
  it('character devices are refused without being read (/dev/full, /dev/null, /dev/zero)', () => {
    expect(refusal('/dev/full').message).toMatch(/^cannot write the report \/dev\/full: it is a character device; choose a regular file/);
    expect(refusal('/dev/zero').message).toMatch(/\/dev\/zero: it is a character device/);
    expect(refusal('/dev/null').message).toMatch(/\/dev\/null: it is a character device/);
    expect(existsSync('/dev/null.samples.jsonl')).toBe(false);
  });

  it('/dev/stdout is refused through its link, whatever stdout is', () => {
    expect(refusal('/dev/stdout').message).toMatch(/\/dev\/stdout: it is (a character device|a FIFO \(named pipe\)|a regular file|a socket)/);
  });

  it('a FIFO is refused without opening it (opening would block until a reader comes)', () => {
    const dir = tmp();
    const fifo = join(dir, 'r.csv');
    execFileSync('mkfifo', [fifo]);
    expect(refusal(fifo).message).toContain('it is a FIFO (named pipe)');
  });

  it('a directory, a dangling link, and a path under a regular file', () => {
    const dir = tmp();
    expect(refusal(dir).message).toContain('it is a directory');
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.csv'));
    expect(refusal(join(dir, 'dangling.csv')).message).toContain('a symbolic link to nothing');
    writeFileSync(join(dir, 'file'), 'x');
    expect(refusal(join(dir, 'file', 'sub', 'r.csv')).message).toMatch(/r\.csv: ENOTDIR: .*file is a regular file, not a folder/);
  });

  it('a samples path that is not a file is refused too, before the CSV is created', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'r.samples.jsonl'));
    expect(refusal(join(dir, 'r.csv')).message).toMatch(/cannot write the samples log .*r\.samples\.jsonl: it is a directory/);
    expect(existsSync(join(dir, 'r.csv'))).toBe(false);
    expect(samplesPathFor('/x/r.csv')).toBe('/x/r.samples.jsonl');
  });

  it('/proc and /sys are refused at once (a recursive mkdir under /proc spun at full CPU)', () => {
    expect(refusal('/proc/nope/x.csv').message).toMatch(/\/proc\/nope\/x\.csv: \/proc is on the kernel's proc file system/);
    expect(refusal('/sys/nope/deeper/x.csv').message).toContain("on the kernel's sysfs file system");
  });

  it('creates missing folders one by one for a new file, and accepts an existing regular file', () => {
    const dir = tmp();
    const p = join(dir, 'a', 'b', 'c', 'r.csv');
    expect(prepareOutputPath(p, 'report')).toBe(false);
    expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
    new CsvReport(p).open();
    expect(prepareOutputPath(p, 'report')).toBe(true);
  });

  it('melbench bench -o /dev/full and -o /proc/nope/x.csv exit 5 at once', () => {
    const bin = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
    for (const out of ['/dev/full', '/proc/nope/x.csv']) {
      const r = spawnSync(process.execPath, [bin, 'bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '-o', out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(EXIT.output);
      expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^melbench: error: cannot write the report ${out}: `));
    }
  });
});
