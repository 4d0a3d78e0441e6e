/**
 * What melbench prints can hold names it did not choose: a model's file name, an input's or a
 * node's name from inside a model. A name with ESC in it (`\e[2J` clears the screen), a carriage
 * return (which overwrites the line) or any other control character would act on the user's
 * terminal. While a command runs, every text written to stdout and stderr has its control
 * characters replaced with visible escapes (`\x1b`, `\r`, `\u009b`); newline and tab stay.
 * melbench itself writes no control character there (no colours); the one thing that needs them,
 * the feature-extraction progress bar on a TTY, writes to the terminal's file descriptor itself
 * (src/features/datasets/progress.ts). JSON output escapes them already; files are untouched.
 */

// NOTE: C0 controls but \t (0x09) and \n (0x0a), DEL, and the C1 controls (0x80-0x9f: 0x9b is a one-byte CSI).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `s` with its control characters as visible escapes. */
export function visible(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\r') return '\\r';
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

type Write = typeof process.stdout.write;

/** Wraps stdout's and stderr's `write` so text goes through `visible`; returns the function that undoes it. */
export function guardTerminal(): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((s, i) => {
    const original = originals[i];
    s.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      return (original as (...a: unknown[]) => boolean).call(this, typeof chunk === 'string' ? visible(chunk) : chunk, ...rest);
    } as Write;
  });
  return () => streams.forEach((s, i) => (s.write = originals[i]));
}
