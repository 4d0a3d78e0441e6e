/**
 * CSV cells safe in a spreadsheet (OWASP CSV injection): text beginning with =, +, -, @, tab or
 * CR is written with a leading ', numbers never are, and readReport gives the original text back.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { makeRow } from '../../src/report/columns.ts';
import { CsvReport, readReport, safeText, unsafeText } from '../../src/report/csv.ts';

const TEXTS = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tlead tab', '\rlead cr', "'=already quoted", "''+two", 'plain', "it's", "'plain quote", '', 'a=b'];

describe('safe cells', () => {
  it('prefixes only text a spreadsheet would evaluate, and the prefix round-trips', () => {
    expect(safeText('=1+1')).toBe("'=1+1");
    expect(safeText('-x')).toBe("'-x");
    expect(safeText('@x')).toBe("'@x");
    expect(safeText('\tx')).toBe("'\tx");
    expect(safeText('resnet')).toBe('resnet');
    expect(safeText("'plain")).toBe("'plain");
    expect(safeText("'=x")).toBe("''=x");
    for (const t of TEXTS) expect(unsafeText(safeText(t))).toBe(t);
  });

  it('a report with hostile model, suite and error text: no raw formula on disk, numbers stay numbers, readReport gives the text back', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'melbench-cells-')), 'r.csv');
    const csv = new CsvReport(path).open();
    TEXTS.forEach((t, i) => csv.append(makeRow({ model: t, suite: t, runtime: 'cpu', batch: i + 1, status: 'error', error: t, max_abs_diff: -0.0047, p50_ms: -1.5 })));
    const raw = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    for (const r of raw) {
      for (const col of ['model', 'suite', 'error']) expect(r[col]).not.toMatch(/^[=+\-@\t\r]/);
      expect(r.max_abs_diff).toBe('-0.0047');
      expect(r.p50_ms).toBe('-1.5');
    }
    expect(raw[0].model).toBe('\'=HYPERLINK("http://x","y")');
    const back = readReport(path);
    expect(back.map((r) => r.model)).toEqual(TEXTS);
    expect(back.map((r) => r.suite)).toEqual(TEXTS);
    expect(back.map((r) => r.error)).toEqual(TEXTS.map((t) => (t === '' ? '' : t)));
    expect(back[0].max_abs_diff).toBe('-0.0047');
  });
});
