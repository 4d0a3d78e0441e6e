/**
 * An output path must be a regular file, or a new file in a folder melbench can create or write.
 *
 * Everything here is a bounded operation on metadata (stat, lstat, access, statfs, one mkdir per
 * missing folder): the target is never read or opened before it is known to be a regular file.
 * Reading `/dev/full` or `/dev/zero` never ends, opening a FIFO blocks until a reader comes,
 * `/dev/null` swallows the report, and a recursive mkdir under /proc spun at full CPU: each is
 * refused at once with exit 5.
 */
import * as fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { errnoText } from './append-line.ts';

/** statfs magic numbers of kernel pseudo-file systems, where a report can never live. */
const PSEUDO_FS: Record<number, string> = { 0x9fa0: 'proc', 0x62656572: 'sysfs', 0x1cd1: 'devpts', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs' };

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return st.isFile() ? 'a regular file' : 'not a regular file';
}

function refuse(path: string, what: string, why: string): never {
  throw new UserError(`cannot write the ${what} ${path}: ${why}; choose a regular file in a writable folder with --out`, EXIT.output);
}

function statOrNull(p: string, follow: boolean): fs.Stats | null {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // NOTE: ENOTDIR: a component is a file; the walk up reaches it and says so.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Checks `path` for writing `what` ('report', 'samples log'), creating its missing folders one by
 * one. Returns whether the file exists already. Throws UserError (exit 5) at the first problem.
 */
export function prepareOutputPath(path: string, what: string): boolean {
  const abs = resolve(path);
  try {
    const link = statOrNull(abs, false);
    if (link) {
      const st = link.isSymbolicLink() ? statOrNull(abs, true) : link;
      if (!st) refuse(path, what, 'it is a symbolic link to nothing');
      if (!st.isFile()) refuse(path, what, `it is ${kindOf(st)}${link.isSymbolicLink() ? ` (through the link ${path})` : ''}`);
      try {
        fs.accessSync(abs, fs.constants.W_OK);
      } catch (e) {
        refuse(path, what, `it is not writable (${errnoText(e)})`);
      }
      return true;
    }
    // A new file: walk up to the nearest folder that exists, with stat only.
    const missing: string[] = [];
    let dir = dirname(abs);
    let st = statOrNull(dir, true);
    while (!st) {
      missing.unshift(dir);
      const up = dirname(dir);
      if (up === dir) refuse(path, what, 'no folder of its path exists');
      dir = up;
      st = statOrNull(dir, true);
    }
    if (!st.isDirectory()) refuse(path, what, `ENOTDIR: ${dir} is ${kindOf(st)}, not a folder`);
    const fsType = PSEUDO_FS[Number(fs.statfsSync(dir).type)];
    if (fsType) refuse(path, what, `${dir} is on the kernel's ${fsType} file system`);
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
      refuse(path, what, `the folder ${dir} is not writable (${errnoText(e)})`);
    }
    for (const m of missing) {
      try {
        fs.mkdirSync(m);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') refuse(path, what, `cannot create the folder ${m} (${errnoText(e)})`);
      }
    }
    return false;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (typeof (e as NodeJS.ErrnoException).code === 'string') refuse(path, what, errnoText(e));
    throw e;
  }
}
