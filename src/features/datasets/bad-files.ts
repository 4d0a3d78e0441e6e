/**
 * The --on-bad-file policy: a bad file (unreadable, corrupt, silent, NaN, wrong rate, missing,
 * unknown label, malformed manifest row, empty class folder) is either recorded in `skipped` and
 * left out ('skip'), or stops the run with one line naming the file and the problem ('fail').
 */
import { EXIT, UserError } from '../../errors.ts';
import { AudioError } from '../decode.ts';
import type { SkippedFile } from './dataset.ts';

export type OnBadFile = 'skip' | 'fail';
export const ON_BAD_FILE: readonly OnBadFile[] = ['skip', 'fail'];

const HINT = 'use --on-bad-file skip to leave it out';

export class BadFiles {
  constructor(
    readonly policy: OnBadFile,
    readonly skipped: SkippedFile[] = [],
  ) {}

  /** Records or throws: `file` names the file (or manifest row), `problem` says what is wrong with it. */
  report(file: string, problem: string): void {
    if (this.policy === 'fail') throw new UserError(`${file}: ${problem}; ${HINT}`, EXIT.badInput);
    this.skipped.push({ file, reason: problem });
  }

  /** Records or rethrows an error met while reading `file`; errors that are not about input are rethrown. */
  error(file: string, e: unknown): void {
    if (e instanceof AudioError) {
      if (this.policy === 'fail') throw e;
      this.skipped.push({ file, reason: e.problem });
      return;
    }
    if (e instanceof UserError && e.exitCode === EXIT.badInput) {
      if (this.policy === 'fail') throw e;
      // NOTE: UserError messages start with the path; keep only the problem.
      const msg = e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message;
      this.skipped.push({ file, reason: msg });
      return;
    }
    throw e;
  }
}
