/**
 * Whole lines appended to a report file, so that a full disk or an I/O error never leaves half a
 * line, and a CSV row and its samples record are either both on disk or neither.
 *
 * - Each line is one `write` on a descriptor opened with O_APPEND; a short or failed write is
 *   undone by truncating the file back to its size before the write (only when nothing else was
 *   appended in between: concurrent writers' lines are never cut).
 * - A CSV report and its samples log are partners (paired by the samples path, which derives
 *   from the CSV path): when one fails to write the line of a row, the partner's line for the
 *   same row, if it was the last one written, is taken back too. Either write order then keeps
 *   the two files in agreement, row for row.
 * - Any errno from the file system (ENOSPC, EIO, EDQUOT, EFBIG, EROFS...) is a `UserError` with
 *   exit 5 that names the file and says what was kept.
 */
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, UserError } from '../errors.ts';

/** The file operations used, injectable so that tests can fail a write with ENOSPC. */
export interface FileOps {
  openSync(path: string, flags: string): number;
  fstatSync(fd: number): { size: number };
  writeSync(fd: number, buf: Uint8Array): number;
  ftruncateSync(fd: number, len: number): void;
  closeSync(fd: number): void;
}

export const NODE_FILE_OPS: FileOps = {
  openSync: (p, f) => fs.openSync(p, f),
  fstatSync: (fd) => fs.fstatSync(fd),
  writeSync: (fd, buf) => fs.writeSync(fd, buf),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  closeSync: (fd) => fs.closeSync(fd),
};

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** "ENOSPC (no space left on the device)" for an errno error, else its message. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code ? `${code}${WHY[code] ? ` (${WHY[code]})` : ''}` : String((e as Error)?.message ?? e);
}

const isErrno = (e: unknown) => typeof (e as NodeJS.ErrnoException)?.code === 'string';

/** A line appended for a row, remembered so that it can be taken back. */
interface Last {
  key: string;
  start: number;
  end: number;
}

export class LineFile {
  /** Complete lines this object appended. */
  lines = 0;
  partner?: LineFile;
  private last?: Last;

  constructor(
    readonly path: string,
    /** 'report' or 'samples log', for messages. */
    readonly what: string,
    /** What one line is, for messages: 'row', 'record'. */
    readonly unit: string,
    private readonly ops: FileOps = NODE_FILE_OPS,
  ) {}

  /**
   * Appends `line` (which ends with '\n') in one write. `key` names the row it belongs to; on
   * failure the partner's line for the same key is taken back, then a UserError (exit 5) is thrown.
   */
  append(line: string, key: string): void {
    const buf = Buffer.from(line, 'utf8');
    let fd: number;
    try {
      fd = this.ops.openSync(this.path, 'a');
    } catch (e) {
      if (!isErrno(e)) throw e;
      this.fail(key, errnoText(e), '');
    }
    let start = -1;
    let written = 0;
    try {
      start = this.ops.fstatSync(fd!).size;
      written = this.ops.writeSync(fd!, buf);
      if (written !== buf.length) throw Object.assign(new Error(`short write: ${written} of ${buf.length} bytes`), { code: 'ENOSPC' });
      this.last = { key, start, end: start + buf.length };
      this.lines++;
    } catch (e) {
      if (!isErrno(e)) throw e;
      const undone = start >= 0 ? undo(this.ops, fd!, start, written) : '';
      closeQuietly(this.ops, fd!);
      this.fail(key, errnoText(e), undone);
    }
    closeQuietly(this.ops, fd!);
  }

  /** Truncates away the last line if it is the line of `key` and still the end of the file. */
  takeBack(key: string): string {
    const l = this.last;
    if (!l || l.key !== key) return '';
    this.last = undefined;
    let fd: number;
    try {
      fd = this.ops.openSync(this.path, 'r+');
    } catch (e) {
      return `; its line in ${this.path} could not be taken back (${errnoText(e)})`;
    }
    try {
      if (this.ops.fstatSync(fd).size !== l.end) return `; its line in ${this.path} is not the last one any more and stays`;
      this.ops.ftruncateSync(fd, l.start);
      this.lines--;
      return `; its line in ${this.path} was taken back`;
    } catch (e) {
      return `; its line in ${this.path} could not be taken back (${errnoText(e)})`;
    } finally {
      closeQuietly(this.ops, fd);
    }
  }

  private fail(key: string, why: string, undone: string): never {
    const back = this.partner?.takeBack(key) ?? '';
    const count = (f: LineFile) => `${f.lines} ${f.unit}${f.lines === 1 ? '' : 's'}`;
    const kept = `${this.path} keeps the ${count(this)} written before by this run${this.partner ? `, ${this.partner.path} its ${count(this.partner)}` : ''}`;
    throw new UserError(`cannot write the ${this.what} ${this.path}: ${why}${undone}${back}; ${kept}. Free some space or choose another --out`, EXIT.output);
  }
}

/** Truncates a failed write's `written` partial bytes at `start`, unless another writer appended after them. */
function undo(ops: FileOps, fd: number, start: number, written: number): string {
  try {
    const size = ops.fstatSync(fd).size;
    if (written === 0 && size === start) return '';
    if (size !== start + written) return '; another writer appended meanwhile, so a partial line may stay: the next run moves it to a .torn file';
    ops.ftruncateSync(fd, start);
    return `; the partial line (${written} bytes) was removed`;
  } catch (e) {
    return `; the partial line could not be removed (${errnoText(e)}): the next run moves it to a .torn file`;
  }
}

function closeQuietly(ops: FileOps, fd: number): void {
  try {
    ops.closeSync(fd);
  } catch {
    // NOTE: close after a failed write may report the same error again; the write's error is the one that counts.
  }
}

/** A row's identity, the same in the CSV and in the samples log: a failed write takes back its partner's line of the same key. */
export function rowKey(r: { run_id: unknown; model: unknown; variant: unknown; runtime: unknown; batch: unknown }): string {
  return JSON.stringify([r.run_id, r.model, r.variant, r.runtime, r.batch]);
}

/** CSV report and samples log of one path pair, found by the samples path. */
const partners = new Map<string, LineFile>();

/** Registers the CSV's line file under its samples path, for `pairWith`. */
export function offerPartner(samplesPath: string, f: LineFile): void {
  partners.set(resolve(samplesPath), f);
}

/** Links a samples log with the CSV report that offered it, if one did in this process. */
export function pairWith(samplesPath: string, f: LineFile): void {
  const csv = partners.get(resolve(samplesPath));
  if (!csv) return;
  csv.partner = f;
  f.partner = csv;
}
