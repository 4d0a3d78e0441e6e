/** Assertions on how a command failed: its exit code and its one `melbench: error:` line (no stack trace). */
import { expect } from 'vitest';

export function expectOneErrorLine(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('melbench: error:'));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
