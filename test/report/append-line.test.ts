/**
 * Writes that cannot tear: with a write hook that fails (ENOSPC, EIO, a short write), a report and
 * its samples log stay whole lines and agree row for row, in either write order; the error is a
 * UserError with exit 5 naming the file and what was kept. A torn last line met before appending
 * is moved into `<file>.torn`, never deleted.
 */
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { type FileOps, NODE_FILE_OPS } from '../../src/report/append-line.ts';
import { COLUMN_NAMES, makeRow, type Row } from '../../src/report/columns.ts';
import { CsvReport, readReport } from '../../src/report/csv.ts';
import { type SampleRecord, SamplesLog } from '../../src/report/samples.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-tear-'));

/** File ops whose writes to `target` fail once `budget` bytes have been written there (a disk filling up). */
function fillingDisk(target: string, budget: number, code = 'ENOSPC'): FileOps {
  let used = 0;
  const paths = new Map<number, string>();
  return {
    ...NODE_FILE_OPS,
    openSync: (p, f) => {
      const fd = fs.openSync(p, f);
      paths.set(fd, p);
      return fd;
    },
    writeSync: (fd, buf) => {
      if (paths.get(fd) !== target) return fs.writeSync(fd, buf);
      const room = budget - used;
      if (room <= 0) throw Object.assign(new Error(`${code}: write failed`), { code });
      // NOTE: a filling disk takes what fits, then the kernel returns a short count (the torn line of the issue).
      const n = fs.writeSync(fd, buf, 0, Math.min(room, buf.length));
      used += n;
      return n;
    },
  };
}

const row = (i: number): Row => makeRow({ run_id: 'run1', model: i % 2 ? '=cmd|calc' : 'resnet', variant: 'fp32', runtime: 'cpu', batch: i, status: 'ok', p50_ms: 1.5 + i, max_abs_diff: -0.0047 });
const rec = (i: number): SampleRecord => ({ run_id: 'run1', model: i % 2 ? '=cmd|calc' : 'resnet', variant: 'fp32', runtime: 'cpu', batch: i, samples_ms: Array.from({ length: 40 }, (_, k) => 1 + k / 7) });

/** Appends rows 1.. in the sweep's order until a write throws; returns that error. */
function sweepUntilFull(csv: CsvReport, samples: SamplesLog, order: 'row-first' | 'samples-first'): UserError {
  for (let i = 1; i < 1000; i++) {
    try {
      if (order === 'row-first') {
        csv.append(row(i));
        samples.append(rec(i));
      } else {
        samples.append(rec(i));
        csv.append(row(i));
      }
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return e as UserError;
    }
  }
  throw new Error('the disk never filled');
}

/** Both files parse; every samples record has its CSV row and every CSV row its record, in the same order. */
function expectAgreement(csvPath: string, jsonlPath: string): number {
  const text = readFileSync(csvPath, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const rows = readReport(csvPath);
  const jsonl = readFileSync(jsonlPath, 'utf8');
  expect(jsonl === '' || jsonl.endsWith('\n')).toBe(true);
  const recs = jsonl.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(rows.map((r) => [r.model, r.batch])).toEqual(recs.map((r) => [r.model, String(r.batch)]));
  return rows.length;
}

describe('a disk that fills mid-sweep', () => {
  for (const order of ['row-first', 'samples-first'] as const) {
    for (const full of ['report', 'samples log'] as const) {
      it(`${order}: the ${full} fills; exit 5 names it and the two files agree row for row`, () => {
        const dir = tmp();
        const csvPath = join(dir, 'r.csv');
        const jsonlPath = join(dir, 'r.samples.jsonl');
        // NOTE: room for a few rows plus half of the next line, so that the failing write is a short one.
        const target = full === 'report' ? csvPath : jsonlPath;
        const lineBytes = full === 'report' ? 700 : 500;
        const ops = fillingDisk(target, 3 * lineBytes + 200);
        const csv = new CsvReport(csvPath, ops).open();
        const samples = new SamplesLog(jsonlPath, ops);
        const e = sweepUntilFull(csv, samples, order);
        expect(e.exitCode).toBe(EXIT.output);
        expect(e.message).toContain(`cannot write the ${full} ${target}: ENOSPC (no space left on the device)`);
        expect(e.message).toMatch(full === 'report' ? /r\.csv keeps the \d+ rows? written before by this run, .*r\.samples\.jsonl its \d+ records?\./ : /r\.samples\.jsonl keeps the \d+ records? written before by this run, .*r\.csv its \d+ rows?\./);
        const n = expectAgreement(csvPath, jsonlPath);
        expect(n).toBeGreaterThan(0);
        expect(e.message).toContain(`${jsonlPath === target ? csvPath : jsonlPath}`);
      });
    }
  }

  it('EIO on the first row: nothing written, exit 5, both files still parse', () => {
    const dir = tmp();
    const csvPath = join(dir, 'r.csv');
    const ops = fillingDisk(csvPath, 0, 'EIO');
    const csv = new CsvReport(csvPath, ops).open();
    const samples = new SamplesLog(join(dir, 'r.samples.jsonl'), ops);
    const e = sweepUntilFull(csv, samples, 'samples-first');
    expect(e.message).toMatch(/r\.csv: EIO \(I\/O error\); its line in .*r\.samples\.jsonl was taken back; .*r\.csv keeps the 0 rows written before by this run, .*r\.samples\.jsonl its 0 records/);
    expect(expectAgreement(csvPath, join(dir, 'r.samples.jsonl'))).toBe(0);
  });
});

describe('a torn last line is moved aside before appending', () => {
  it('CSV: a cut-off last line goes to r.csv.torn and the next rows parse', () => {
    const dir = tmp();
    const path = join(dir, 'r.csv');
    new CsvReport(path).open().append(row(2));
    const whole = readFileSync(path, 'utf8');
    const cut = 'run1,2026-11-29,adhoc,resnet,fp32,no';
    fs.appendFileSync(path, cut);
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (warnings.push(String(s)), true)) as typeof process.stderr.write;
    try {
      new CsvReport(path).open().append(row(4));
    } finally {
      process.stderr.write = write;
    }
    expect(warnings.join('')).toMatch(/the last line of .*r\.csv has no trailing newline \(36 bytes.*moved it to .*r\.csv\.torn/);
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe(`${cut}\n`);
    expect(readFileSync(path, 'utf8').startsWith(whole)).toBe(true);
    expect(readReport(path).map((r) => r.batch)).toEqual(['2', '4']);
  });

  it('CSV: a line completed by another writer (wrong column count) is moved aside; .torn is appended, never replaced', () => {
    const dir = tmp();
    const path = join(dir, 'r.csv');
    new CsvReport(path).open().append(row(2));
    writeFileSync(`${path}.torn`, 'earlier torn line\n');
    // The case: half a row, then a whole row on the same line ("expect 52, got 88").
    const other = parse(readFileSync(path, 'utf8'))[1] as string[];
    fs.appendFileSync(path, `run1,2026,adhoc${other.join(',')}\n`);
    expect(() => readReport(path)).toThrow(/not a valid CSV/);
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      new CsvReport(path).open().append(row(6));
    } finally {
      process.stderr.write = quiet;
    }
    expect(readFileSync(`${path}.torn`, 'utf8').split('\n')).toHaveLength(3);
    expect(readFileSync(`${path}.torn`, 'utf8').startsWith('earlier torn line\nrun1,2026,adhoc')).toBe(true);
    expect(readReport(path).map((r) => r.batch)).toEqual(['2', '6']);
    expect(Object.keys(readReport(path)[0])).toEqual([...COLUMN_NAMES]);
  });

  it('JSONL: a cut-off record goes to r.samples.jsonl.torn', () => {
    const dir = tmp();
    const path = join(dir, 'r.samples.jsonl');
    new SamplesLog(path).append(rec(2));
    fs.appendFileSync(path, '{"run_id":"run1","model":"res');
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      new SamplesLog(path).append(rec(4));
    } finally {
      process.stderr.write = quiet;
    }
    expect(readFileSync(`${path}.torn`, 'utf8')).toBe('{"run_id":"run1","model":"res\n');
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.batch)).toEqual([2, 4]);
  });

  it('a report of other columns is refused untouched; a torn header alone is moved aside and rewritten', () => {
    const dir = tmp();
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'a,b\n1,2\n3,4,5\n');
    expect(() => new CsvReport(other).open()).toThrow(/already exists with other columns/);
    expect(readFileSync(other, 'utf8')).toBe('a,b\n1,2\n3,4,5\n');
    expect(fs.existsSync(`${other}.torn`)).toBe(false);
    const cut = join(dir, 'cut.csv');
    writeFileSync(cut, 'schema,run_id,ti');
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      new CsvReport(cut).open().append(row(2));
    } finally {
      process.stderr.write = quiet;
    }
    expect(readFileSync(`${cut}.torn`, 'utf8')).toBe('schema,run_id,ti\n');
    expect(readReport(cut).map((r) => r.batch)).toEqual(['2']);
  });

  it('a whole report is left alone, with no .torn file', () => {
    const dir = tmp();
    const path = join(dir, 'r.csv');
    new CsvReport(path).open().append(row(2));
    new CsvReport(path).open().append(row(4));
    expect(fs.existsSync(`${path}.torn`)).toBe(false);
    expect(readReport(path)).toHaveLength(2);
  });
});
