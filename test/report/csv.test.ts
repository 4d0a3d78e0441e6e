import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { COLUMN_NAMES, makeRow, SCHEMA_VERSION } from '../../src/report/columns.ts';
import { CsvReport, readReport } from '../../src/report/csv.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-csv-'));

describe('CSV schema', () => {
  it('covers the minimum columns of DESIGN.md', () => {
    const required = [
      'run_id', 'time', 'suite', 'model', 'variant', 'quant_mode', 'calibration', 'prune_method', 'prune_ratio', 'runtime',
      'fallback_nodes', 'threads', 'batch', 'input_shape', 'input_sha256', 'params', 'nonzero_params', 'macs', 'model_bytes',
      'gzip_bytes', 'macro_f1', 'accuracy', 'precision', 'recall', 'agreement_fp32', 'max_abs_diff', 'session_create_ms',
      'first_run_ms', 'mean_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'min_ms', 'std_ms', 'rme_pct', 'samples', 'throughput_per_s',
      'test_set_ms', 'status', 'error', 'cpu', 'cores', 'node', 'ort_version', 'device',
    ];
    expect(required.filter((c) => !COLUMN_NAMES.includes(c as never))).toEqual([]);
    expect(new Set(COLUMN_NAMES).size).toBe(COLUMN_NAMES.length);
  });

  it('is documented column by column in docs/reference.md, in order', () => {
    const reference = readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8');
    // The "CSV columns" section, up to its first subsection.
    const start = reference.indexOf('\n## CSV columns\n');
    expect(start).toBeGreaterThan(0);
    const section = reference.slice(start, reference.indexOf('\n#', start + 1));
    const documented = [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...COLUMN_NAMES]);
  });
});

describe('CsvReport', () => {
  it('writes the header once and appends rows that parse back with every column', () => {
    const path = join(tmp(), 'sub', 'r.csv');
    const csv = new CsvReport(path).open();
    csv.append(makeRow({ model: 'resnet', runtime: 'cpu', batch: 1, status: 'ok', p50_ms: 1.234567891, error: 'a, "quoted" error' }));
    new CsvReport(path).open().append(makeRow({ model: 'resnet', runtime: 'wasm', batch: 8, status: 'unavailable' }));
    const rows = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual([...COLUMN_NAMES]);
    expect(rows[0]).toMatchObject({ schema: String(SCHEMA_VERSION), model: 'resnet', p50_ms: '1.23457', error: 'a, "quoted" error' });
    expect(rows[1]).toMatchObject({ runtime: 'wasm', batch: '8', status: 'unavailable', p50_ms: '' });
    expect(readReport(path)).toHaveLength(2);
  });

  it('keeps completed rows on disk as they are appended (a kill loses nothing written)', () => {
    const path = join(tmp(), 'r.csv');
    const csv = new CsvReport(path).open();
    for (let i = 1; i <= 3; i++) {
      csv.append(makeRow({ model: 'm', runtime: 'cpu', batch: i, status: 'ok' }));
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1 + i);
    }
  });

  it('refuses to append to a file with other columns', () => {
    const path = join(tmp(), 'other.csv');
    writeFileSync(path, 'a,b\n1,2\n');
    expect(() => new CsvReport(path).open()).toThrow(/already exists with other columns/);
  });

  it('says so in one line when the report path is not writable', () => {
    const path = join(tmp(), 'file');
    writeFileSync(path, 'x');
    let err: unknown;
    try {
      new CsvReport(join(path, 'r.csv')).open();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(EXIT.output);
    expect((err as UserError).message).toMatch(/cannot write the report .*r\.csv: (ENOTDIR|EEXIST)/);
  });

  it('rejects malformed and foreign CSV files with the file named', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.csv'), 'model,runtime,batch,status\n"unclosed,cpu,1,ok\n');
    expect(() => readReport(join(dir, 'bad.csv'))).toThrow(/bad\.csv is not a valid CSV/);
    writeFileSync(join(dir, 'ragged.csv'), 'model,runtime,batch,status\nresnet,cpu\n');
    expect(() => readReport(join(dir, 'ragged.csv'))).toThrow(/ragged\.csv is not a valid CSV/);
    writeFileSync(join(dir, 'foreign.csv'), 'x,y\n1,2\n');
    expect(() => readReport(join(dir, 'foreign.csv'))).toThrow(/foreign\.csv is not a melbench report: no column model, runtime, batch, status/);
    expect(() => readReport(join(dir, 'missing.csv'))).toThrow(/cannot read .*missing\.csv: ENOENT/);
  });
});
