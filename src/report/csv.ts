/**
 * CSV reports through csv-stringify / csv-parse.
 *
 * Append-safe: each row is appended and flushed as soon as it is measured, so a crash or kill
 * in the middle of a sweep keeps every completed row. The header is written once, when the file
 * is new; appending to a file whose header differs is refused rather than silently misaligned.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { EXIT, UserError } from '../errors.ts';
import { COLUMN_NAMES, type Row } from './columns.ts';

function cell(v: Row[keyof Row]): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

export class CsvReport {
  constructor(readonly path: string) {}

  /** Creates the file with its header (or checks an existing header). Fails early on an unwritable path. */
  open(): this {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (existsSync(this.path) && readFileSync(this.path, 'utf8').length > 0) {
        const header = readFileSync(this.path, 'utf8').split('\n', 1)[0];
        if (header !== COLUMN_NAMES.join(',')) {
          throw new UserError(`${this.path} already exists with other columns; choose another --out or move it away`, EXIT.output);
        }
      } else {
        writeFileSync(this.path, stringify([COLUMN_NAMES as string[]]));
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot write the report ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable --out`, EXIT.output);
    }
    return this;
  }

  append(row: Row): void {
    appendFileSync(this.path, stringify([COLUMN_NAMES.map((c) => cell(row[c]))]));
  }
}

/** Reads a melbench CSV; a malformed file gets one line naming the file, line and problem. */
export function readReport(path: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false });
  } catch (e) {
    throw new UserError(`${path} is not a valid CSV: ${(e as Error).message.split('\n')[0]}`, EXIT.badInput);
  }
  if (!records.length) throw new UserError(`${path} is empty; expected a melbench report with a header line`, EXIT.badInput);
  const [header, ...rows] = records;
  const missing = ['model', 'runtime', 'batch', 'status'].filter((c) => !header.includes(c));
  if (missing.length) throw new UserError(`${path} is not a melbench report: no column ${missing.join(', ')} in its header`, EXIT.badInput);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}
