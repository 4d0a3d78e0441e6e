/**
 * What to tell a user whose run was interrupted: the run's files keep every row completed (each is
 * appended as it is measured), and the exact command that finishes it. The run's command sets it
 * when its files open (run-lifecycle.ts); src/cli.ts prints it on SIGINT or SIGTERM.
 */
let hint: string | undefined;

/** The run now writing `csvPath`, finished by `melbench <command> --resume <csvPath>`. */
export function setResumeHint(command: string, csvPath: string): void {
  hint = `every completed row is in ${csvPath}; finish the run with: melbench ${command} --resume ${csvPath}`;
}

export function resumeHint(): string | undefined {
  return hint;
}

export function clearResumeHint(): void {
  hint = undefined;
}
