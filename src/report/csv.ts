/**
 * CSV reports through csv-stringify / csv-parse.
 *
 * Append-safe: each row is appended as one whole line as soon as it is measured (append-line.ts),
 * so a crash or kill in the middle of a sweep keeps every completed row, and a full disk leaves no
 * half line (exit 5, naming the file and what was kept). The header is written once, when the
 * file is new; appending to a file whose header differs is refused rather than silently
 * misaligned, and a torn last line is moved aside first (torn-line.ts). The path must be a regular
 * file or a new one (output-path.ts): devices, FIFOs and folders are refused at once.
 *
 * Cells are safe to open in a spreadsheet (OWASP "CSV injection"): a text cell beginning with
 * `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so that it is shown,
 * not evaluated. Numbers are never prefixed (-0.0047 stays a number). `readReport` removes the
 * prefix, so text round-trips exactly; a text that already begins with `'` before one of those
 * characters gets one more `'`, so that the prefix is always the writer's.
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { EXIT, UserError } from '../errors.ts';
import { type FileOps, LineFile, NODE_FILE_OPS, offerPartner, rowKey } from './append-line.ts';
import { COLUMN_NAMES, type Row } from './columns.ts';
import { prepareOutputPath } from './output-path.ts';
import { setAsideTornTail } from './torn-line.ts';

/** Text a spreadsheet would evaluate as a formula; with leading quotes, text that would read back as such. */
const FORMULA = /^'*[=+\-@\t\r]/;

/** A text cell as written: prefixed with `'` when a spreadsheet would evaluate it. */
export function safeText(s: string): string {
  return FORMULA.test(s) ? `'${s}` : s;
}

/** The inverse of safeText, for cells read back. */
export function unsafeText(s: string): string {
  return s.startsWith("'") && FORMULA.test(s) ? s.slice(1) : s;
}

function cell(v: Row[keyof Row]): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return safeText(v);
  return String(v);
}

/** The samples log beside a report: `r.csv` -> `r.samples.jsonl`. */
export function samplesPathFor(csvPath: string): string {
  return `${csvPath.replace(/\.csv$/, '')}.samples.jsonl`;
}

/** One row as one CSV line, '\n'-terminated. */
export function csvLine(cells: string[]): string {
  return stringify([cells]);
}

/** Whether a line (without '\n') of a report is a whole record of `columns` cells. */
function isWholeRecord(line: string, columns: number): boolean {
  try {
    const r = parse(line, { relax_column_count: false }) as string[][];
    return r.length === 1 && r[0].length === columns;
  } catch {
    return false;
  }
}

/** The first line of a regular file, reading at most 64 KiB; null when it has no '\n' there (a torn header). */
function firstLine(path: string): string | null {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    return nl < 0 ? null : buf.subarray(0, nl).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export class CsvReport {
  readonly samplesPath: string;
  private readonly file: LineFile;

  constructor(
    readonly path: string,
    ops: FileOps = NODE_FILE_OPS,
  ) {
    this.samplesPath = samplesPathFor(path);
    this.file = new LineFile(path, 'report', 'row', ops);
  }

  /** Checks both paths, creates the file with its header (or checks an existing header and tail). Fails early on an unwritable path. */
  open(): this {
    const exists = prepareOutputPath(this.path, 'report');
    prepareOutputPath(this.samplesPath, 'samples log');
    const header = COLUMN_NAMES.join(',');
    try {
      if (exists && fs.statSync(this.path).size > 0) {
        // NOTE: the header first: a report of another schema is refused untouched, not "repaired".
        const first = firstLine(this.path);
        if (first !== null && first !== header) {
          throw new UserError(`${this.path} already exists with other columns; choose another --out or move it away`, EXIT.output);
        }
        setAsideTornTail(this.path, (line) => isWholeRecord(line, COLUMN_NAMES.length));
      }
      if (!exists || fs.statSync(this.path).size === 0) {
        fs.writeFileSync(this.path, csvLine([...COLUMN_NAMES]));
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot write the report ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable --out`, EXIT.output);
    }
    offerPartner(this.samplesPath, this.file);
    return this;
  }

  /** Appends one row as one whole line; a failed write throws UserError (exit 5) and leaves no partial line. */
  append(row: Row): void {
    this.file.append(csvLine(COLUMN_NAMES.map((c) => cell(row[c]))), rowKey(row));
  }
}

/** Reads a melbench CSV; a malformed file gets one line naming the file, line and problem. Text cells come back as written (without the spreadsheet prefix). */
export function readReport(path: string): Record<string, string>[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
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
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, unsafeText(r[i])])));
}
