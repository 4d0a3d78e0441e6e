/**
 * Reads a run for `compare`: the CSV report and the `<run>.samples.jsonl` beside it, joined into
 * one `CellData` per row. Every problem is one line naming the file (and line) and is a usage
 * error (exit 2, as the compare gate documents): a file missing or not a CSV, a CSV of another
 * schema, a duplicate cell, an ok cell without samples, a samples record with no row, or with a
 * different count than its row says.
 *
 * Samples records are joined to rows by (run_id, model, variant, runtime, batch), the fields a
 * record carries; other fields of a record are ignored, so records may grow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { EXIT, UserError } from '../errors.ts';
import { SCHEMA_VERSION } from './columns.ts';
import { samplesPathFor, unsafeText } from './csv.ts';
import { type CellData, type CellKey, cellLabel, IN_FORCE_COLUMNS, KEY_FIELDS, keyString } from './compare.ts';

export interface LoadedRun {
  csvPath: string;
  samplesPath: string;
  cells: CellData[];
  /** The raw CSV row of each cell, by key string (for the fingerprint). */
  rows: Map<string, Record<string, string>>;
}

/** Every column the gate reads: present since schema 1 (columns are appended, never renamed). */
const REQUIRED = ['schema', 'run_id', ...KEY_FIELDS, 'status', 'error', 'samples', 'model_bytes', 'macro_f1', 'agreement_fp32', 'software_adapter'];
const bad = (msg: string) => new UserError(msg, EXIT.usage);

/** The oldest schema whose rows this reader understands (every REQUIRED column existed then). */
const OLDEST_SCHEMA = 1;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw bad(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface CsvRecord {
  line: number;
  row: Record<string, string>;
}

function readCsv(path: string): CsvRecord[] {
  const text = readText(path, 'report');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: false, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    throw bad(`${path} is not a valid CSV: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!records.length) throw bad(`${path} is empty; expected a melbench report with a header line`);
  const header = records[0].record;
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) throw bad(`${path}:1: not a melbench report of a known schema: no column ${missing.join(', ')}; compare reports written by melbench (schema ${OLDEST_SCHEMA} to ${SCHEMA_VERSION})`);
  if (records.length === 1) throw bad(`${path} has a header and no rows: nothing to compare`);
  // NOTE: the writer defuses text a spreadsheet would evaluate ('=x' is written "'=x"); undo it so that names match the samples log.
  return records.slice(1).map(({ record, info }) => {
    const row = Object.fromEntries(header.map((h, i) => [h, unsafeText(record[i])]));
    const v = row.schema;
    if (!/^\d+$/.test(v) || Number(v) < OLDEST_SCHEMA || Number(v) > SCHEMA_VERSION) {
      throw bad(`${path}:${info.lines}: schema '${v}' is not one this melbench reads (${OLDEST_SCHEMA} to ${SCHEMA_VERSION}); compare it with the melbench that wrote it, or re-measure`);
    }
    return { line: info.lines, row };
  });
}

function optionalNumber(r: CsvRecord, column: string, path: string): number | undefined {
  const v = r.row[column];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw bad(`${path}:${r.line}: column ${column} is '${v}', not a number`);
  return n;
}

interface SampleRecord {
  line: number;
  samples: number[];
  /** `session_sizes` of the record, when it has one. */
  sessions?: number[];
}

const sampleKey = (o: { run_id: unknown; model: unknown; variant: unknown; runtime: unknown; batch: unknown }) =>
  [o.run_id, o.model, o.variant, o.runtime, o.batch].map(String).join('|');

function readSamples(path: string): Map<string, SampleRecord> {
  const out = new Map<string, SampleRecord>();
  const lines = readText(path, 'samples file').split('\n');
  lines.forEach((text, i) => {
    const line = i + 1;
    if (!text.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text);
    } catch {
      throw bad(`${path}:${line}: not a JSON record${i === lines.length - 1 ? ' (a torn last line?)' : ''}`);
    }
    const fields = ['run_id', 'model', 'variant', 'runtime', 'batch'] as const;
    const absent = fields.filter((f) => o === null || typeof o !== 'object' || o[f] === undefined);
    if (absent.length) throw bad(`${path}:${line}: samples record without ${absent.join(', ')}`);
    const s = o.samples_ms;
    const cell = fields.map((f) => String(o[f])).slice(1).join(' ');
    if (!Array.isArray(s)) throw bad(`${path}:${line}: cell ${cell}: samples_ms must be a list of latencies in ms`);
    const implausible = s.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || v <= 0);
    // NOTE: no run takes 0 ms or less: such a sample is a corrupt or foreign file, and would make any ratio meaningless.
    if (implausible >= 0) throw bad(`${path}:${line}: cell ${cell}: sample ${implausible} is ${JSON.stringify(s[implausible])}; latencies must be finite and > 0 ms (the samples file is corrupt or not melbench's)`);
    const key = sampleKey(o as Parameters<typeof sampleKey>[0]);
    const prior = out.get(key);
    if (prior) throw bad(`${path}:${line}: duplicate samples record for ${key.replace(/\|/g, ' ')} (first at line ${prior.line})`);
    const sizes = o.session_sizes;
    if (sizes !== undefined) {
      const ok = Array.isArray(sizes) && sizes.length > 0 && sizes.every((k) => Number.isInteger(k) && (k as number) > 0);
      if (!ok) throw bad(`${path}:${line}: session_sizes must be a list of positive integers`);
      const total = (sizes as number[]).reduce((a, b) => a + b, 0);
      if (total !== s.length) throw bad(`${path}:${line}: session_sizes add up to ${total}, but the record has ${s.length} samples`);
    }
    out.set(key, { line, samples: s as number[], ...(sizes ? { sessions: sizes as number[] } : {}) });
  });
  return out;
}

export function loadRun(csvPath: string): LoadedRun {
  if (!existsSync(csvPath)) throw bad(`no such report: ${csvPath}`);
  const records = readCsv(csvPath);
  const samplesPath = samplesPathFor(csvPath);
  const needsSamples = records.some((r) => r.row.status === 'ok');
  const samples = needsSamples || existsSync(samplesPath) ? readSamples(samplesPath) : new Map<string, SampleRecord>();
  const cells: CellData[] = [];
  const rows = new Map<string, Record<string, string>>();
  const firstLine = new Map<string, number>();
  const bySampleKey = new Map<string, number>();
  for (const r of records) {
    const key = Object.fromEntries(KEY_FIELDS.map((f) => [f, r.row[f]])) as CellKey;
    const k = keyString(key);
    const prior = firstLine.get(k);
    if (prior !== undefined) throw bad(`${csvPath}:${r.line}: duplicate cell ${cellLabel(key)} (first at line ${prior}); compare one run per file`);
    firstLine.set(k, r.line);
    const sk = sampleKey(r.row as Parameters<typeof sampleKey>[0]);
    const other = bySampleKey.get(sk);
    if (other !== undefined && r.row.status === 'ok') {
      throw bad(`${csvPath}:${r.line}: rows at lines ${other} and ${r.line} share run_id, model, variant, runtime and batch: their samples cannot be told apart`);
    }
    if (r.row.status === 'ok') bySampleKey.set(sk, r.line);
    const cell: CellData = {
      key,
      status: r.row.status,
      ...(r.row.error ? { error: r.row.error } : {}),
      software: r.row.software_adapter === 'true',
    };
    const inForce = Object.fromEntries(IN_FORCE_COLUMNS.flatMap((c) => (r.row[c] ? [[c, r.row[c]]] : [])));
    if (Object.keys(inForce).length) cell.inForce = inForce;
    const f1 = optionalNumber(r, 'macro_f1', csvPath);
    const agreement = optionalNumber(r, 'agreement_fp32', csvPath);
    const bytes = optionalNumber(r, 'model_bytes', csvPath);
    if (f1 !== undefined) cell.macroF1 = f1;
    if (agreement !== undefined) cell.agreementFp32 = agreement;
    const close = optionalNumber(r, 'close_fraction', csvPath);
    if (close !== undefined) cell.closeFraction = close;
    if (bytes !== undefined) cell.modelBytes = bytes;
    if (r.row.status === 'ok') {
      const s = samples.get(sk);
      if (!s) throw bad(`${csvPath}:${r.line}: ok cell ${cellLabel(key)} has no record in ${samplesPath}`);
      if (!s.samples.length) throw bad(`${samplesPath}:${s.line}: cell ${cellLabel(key)} has no samples`);
      const n = optionalNumber(r, 'samples', csvPath);
      if (n !== undefined && n !== s.samples.length) {
        throw bad(`${samplesPath}:${s.line}: ${s.samples.length} samples, but ${csvPath}:${r.line} says ${n}: the files do not belong together`);
      }
      cell.samples = s.samples;
      if (s.sessions && s.sessions.length > 1) cell.sessions = s.sessions;
    }
    cells.push(cell);
    rows.set(k, r.row);
  }
  for (const [sk, s] of samples) {
    if (!bySampleKey.has(sk)) throw bad(`${samplesPath}:${s.line}: record ${sk.replace(/\|/g, ' ')} matches no ok row of ${csvPath}: the files do not belong together`);
  }
  return { csvPath, samplesPath, cells, rows };
}
