/**
 * A broken invariant is a bug in melbench, not a user error: the CLI exits 70 with a one-line
 * message, and prints the stack trace only under MELBENCH_DEBUG=1. The bug is planted as a
 * command whose action fails an `invariant`, run through the CLI's own `main`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import type { RegisterCommand } from '../../src/commands/command.ts';
import { EXIT, invariant, ShapeError } from '../../src/errors.ts';

function plantedBug(gradients: number, inputs: number): void {
  invariant(gradients === inputs, () => `gradient rule returned ${gradients} gradients for ${inputs} inputs`);
}

const planted: RegisterCommand = (program) => {
  program.command('plant').action(() => plantedBug(1, 2));
  program.command('user-mistake').action(() => {
    throw new ShapeError('kernel 4 is larger than its input of size 2');
  });
};

async function run(cmd: string, debug: boolean): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  vi.stubEnv('MELBENCH_DEBUG', debug ? '1' : undefined);
  const code = await main([cmd], [planted]);
  vi.restoreAllMocks();
  return { code, stderr: lines.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the CLI and internal errors', () => {
  it('a failed invariant exits 70 with one line and a hint, no stack trace', async () => {
    const r = await run('plant', false);
    expect(r.code).toBe(EXIT.internal);
    expect(r.code).toBe(70);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('melbench: internal error (broken invariant): gradient rule returned 1 gradients for 2 inputs');
    expect(lines[1]).toMatch(/rerun with MELBENCH_DEBUG=1/);
    expect(lines).toHaveLength(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with MELBENCH_DEBUG=1 it prints the stack, down to the planted line', async () => {
    const r = await run('plant', true);
    expect(r.code).toBe(EXIT.internal);
    expect(r.stderr).toMatch(/^InternalError: gradient rule returned 1 gradients for 2 inputs$/m);
    expect(r.stderr).toMatch(/\n\s+at plantedBug \(.*internal-error\.test\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/rerun with MELBENCH_DEBUG=1/);
  });

  it('a user error still exits with its own code and one line, even under MELBENCH_DEBUG=1', async () => {
    for (const debug of [false, true]) {
      const r = await run('user-mistake', debug);
      expect(r.code).toBe(EXIT.badModel);
      expect(r.stderr).toBe('melbench: error: kernel 4 is larger than its input of size 2\n');
    }
  });
});
