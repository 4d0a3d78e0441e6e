/**
 * Before a run appends to an existing report, its last line is checked: a line with no trailing
 * newline (a crash or a full disk cut it) or one that is not a whole record (a cut line that
 * another writer then completed with its own) is moved aside into `<file>.torn` (appended there,
 * never deleted) and cut from the report, with a message on stderr. The next row then starts on
 * a line of its own, and the report parses again.
 *
 * Only the tail is read (at most TAIL bytes), so the check costs the same for any report size.
 */
import * as fs from 'node:fs';

const TAIL = 1 << 20;

/**
 * Checks the last line of the regular file `path`; `isWhole(line)` says whether a line (without
 * its '\n') is a complete record. Returns the message printed, or null when the tail was whole.
 */
export function setAsideTornTail(path: string, isWhole: (line: string) => boolean, warn: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): string | null {
  const fd = fs.openSync(path, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return null;
    const n = Math.min(size, TAIL);
    const tail = Buffer.alloc(n);
    fs.readSync(fd, tail, 0, n, size - n);
    let cut: number;
    let why: string;
    if (tail[n - 1] !== 0x0a) {
      // NOTE: the torn part is what follows the last '\n' (the whole tail when it holds none and is the file).
      const nl = tail.lastIndexOf(0x0a);
      if (nl < 0 && n < size) return null; // a single line longer than TAIL: not something melbench writes; leave it
      cut = size - n + nl + 1;
      why = 'has no trailing newline';
    } else {
      const prev = tail.lastIndexOf(0x0a, n - 2);
      if (prev < 0 && n < size) return null;
      const line = tail.subarray(prev + 1, n - 1).toString('utf8');
      if (isWhole(line)) return null;
      cut = size - n + prev + 1;
      why = 'is not a whole record';
    }
    const torn = Buffer.alloc(size - cut);
    fs.readSync(fd, torn, 0, torn.length, cut);
    // NOTE: another writer's whole line appended since the read must not be cut: leave the file then.
    if (fs.fstatSync(fd).size !== size) return null;
    const aside = `${path}.torn`;
    fs.appendFileSync(aside, torn.length && torn[torn.length - 1] === 0x0a ? torn : Buffer.concat([torn, Buffer.from('\n')]));
    fs.ftruncateSync(fd, cut);
    const msg = `melbench: warning: the last line of ${path} ${why} (${torn.length} bytes, cut by a crash or a full disk?); moved it to ${aside}`;
    warn(msg);
    return msg;
  } finally {
    fs.closeSync(fd);
  }
}
