/**
 * Bounds at the door: every numeric option has a documented range checked while the command line
 * is parsed, lists cannot be empty, free text that reaches children is bounded, and a .npy whose
 * header is absurd (or whose values are not finite) is bad input, never a melbench bug (exit 70).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';
import { BOUNDS, MAX_COMMAND_LINE, MAX_TEXT } from '../../src/commands/options.ts';
import { EXIT, UserError } from '../../src/errors.ts';
import { decodeNpy, encodeNpy } from '../../src/features/npy.ts';
import { makeBatch, MAX_BATCH_VALUES, readFeaturesNpy } from '../../src/sweep/inputs.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

type Parser = ((v: string, prev?: unknown) => unknown) & { bound?: string };

/** Every option of every subcommand, with the command's name. */
function allOptions(): { cmd: string; opt: Option; parse?: Parser }[] {
  const program: Command = buildProgram();
  return program.commands.flatMap((c) => c.options.map((opt) => ({ cmd: c.name(), opt, parse: (opt as unknown as { parseArg?: Parser }).parseArg })));
}

const isNumeric = (v: unknown) => typeof v === 'number' || (Array.isArray(v) && v.length > 0 && typeof v[0] === 'number');

describe('numeric options have documented ranges', () => {
  it('every option with a numeric default is parsed by a bounded parser whose flag is in BOUNDS', () => {
    const numeric = allOptions().filter((o) => isNumeric(o.opt.defaultValue));
    expect(numeric.length).toBeGreaterThan(20);
    for (const o of numeric) {
      // NOTE: --ratios is the open interval (0, 1), checked by test/cli/cli.test.ts.
      if (o.opt.long === '--ratios') continue;
      expect(o.parse?.bound, `${o.cmd} ${o.opt.long} has no bounded parser`).toBe(o.opt.long);
      expect(BOUNDS[o.opt.long!], `${o.opt.long} is not in BOUNDS`).toBeDefined();
    }
  });

  it('each bounded option accepts its maximum and refuses one past it and a 20-digit number, naming flag, range and value', () => {
    const bounded = allOptions().filter((o) => o.parse?.bound);
    for (const { cmd, opt, parse } of bounded) {
      const b = BOUNDS[parse!.bound!];
      expect(b, `${cmd} ${opt.long}`).toBeDefined();
      expect(() => parse!(String(b.max))).not.toThrow();
      const over = Number.isInteger(b.max) && b.max > 1 ? String(b.max + 1) : String(b.max * 2 + 1);
      for (const v of [over, '99999999999999999999']) {
        let err: unknown;
        try {
          parse!(v);
        } catch (e) {
          err = e;
        }
        expect(err, `${cmd} ${opt.long} ${v}`).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toContain(opt.long!);
        expect((err as Error).message).toContain(`[${b.min}, ${b.max}]`);
        expect((err as Error).message).toContain(v);
      }
    }
  });
});

describe('melbench CLI: values refused before any work (exit 2)', () => {
  const cases: [string, string[], RegExp][] = [
    ['a timeout that overflows setTimeout', ['--timeout-s', '2147484'], /--timeout-s must be in \[1, 86400\], got '2147484'/],
    ['a batch that cannot be allocated', ['--batch', '99999999999'], /--batch must be a comma-separated list of positive integers in \[1, 4096\], got '99999999999'/],
    ['a class count that cannot be allocated', ['--classes', '100000000'], /--classes must be in \[1, 10000\], got '100000000'/],
    ['a thread count past any machine', ['--threads', '99999999999999999999'], /--threads must be in \[0, 256\], got '99999999999999999999'/],
    ['an empty model list', ['--models', ''], /--models.*at least one name, got ''/],
    ['an empty runtime list', ['--runtimes', ''], /--runtimes.*at least one name/],
    ['a runtime list of one comma', ['--runtimes', ','], /--runtimes.*at least one name, got ','/],
    ['a 30,000-character suite name (crashed onnxruntime-node with SIGSEGV)', ['--suite', 'a'.repeat(30_000)], new RegExp(`the command line is \\d+ characters; melbench accepts at most ${MAX_COMMAND_LINE}`)],
    ['a 30,000-character model list (crashed onnxruntime-node with SIGSEGV too)', ['--models', `dws-resnet${','.repeat(30_000)}`], /the command line is \d+ characters/],
    ['a suite name of 129 characters', ['--suite', 's'.repeat(MAX_TEXT + 1)], new RegExp(`--suite must be 1 to ${MAX_TEXT} characters, got ${MAX_TEXT + 1}`)],
    ['a suite name with a newline', ['--suite', 'a\nb'], /--suite may not contain control characters/],
  ];
  for (const [what, args, pattern] of cases) {
    it(what, () => {
      const dir = mkdtempSync(join(tmpdir(), 'melbench-bounds-'));
      const r = melbench('bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '-o', join(dir, 'r.csv'), ...args);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(EXIT.usage);
      // NOTE: commander echoes the value, so a value holding a newline spans two lines.
      expect(args.some((a) => a.includes('\n')) ? r.stderr : r.stderr.split('\n')[0]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).not.toMatch(/report:/);
    });
  }

  it('data: --seed and --snr out of range', () => {
    expect(melbench('data', '--seed', '-1').stderr).toMatch(/--seed must be a non-negative integer, got '-1'/);
    const r = melbench('data', '--snr', '-1e9,6');
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--snr expects numbers in \[-100, 100\] \(got '-1e9,6'\)/);
  });
});

function npyWithShape(shape: string, payload = 0): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + payload);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('.npy headers: negative or absurd dims are bad input (exit 3)', () => {
  it('a negative dim', () => {
    const e = userError(() => decodeNpy(npyWithShape('(1, -64, 126)', 64), 'neg.npy'));
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toMatch(/neg\.npy: .*dimension '-64'/);
  });

  it('absurd dims are refused before allocation (truncated data)', () => {
    const e = userError(() => decodeNpy(npyWithShape('(1, 99999999999, 99999999999)', 64), 'big.npy'));
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toMatch(/big\.npy: .*truncated/);
    for (const dim of ['1e9', '0x10', 'None', '2.5']) {
      expect(userError(() => decodeNpy(npyWithShape(`(1, ${dim})`, 64), 'x.npy')).exitCode).toBe(EXIT.badInput);
    }
  });

  it('bench --input with a negative dim exits 3, not 70', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-bounds-'));
    const p = join(dir, 'neg.npy');
    writeFileSync(p, npyWithShape('(1, -1, 126)', 4 * 126));
    const r = melbench('bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--input', p, '-o', join(dir, 'r.csv'));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toMatch(/neg\.npy: not a float32 \.npy array .*dimension '-1'/);
  });

  it('an empty dim and a batch past the allocation limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-bounds-'));
    const p = join(dir, 'empty.npy');
    writeFileSync(p, encodeNpy({ data: new Float32Array(0), dims: [1, 64, 0] }));
    expect(userError(() => readFeaturesNpy(p)).exitCode).toBe(EXIT.badInput);
    const clip = { data: new Float32Array(64 * 1024), dims: [1, 64, 1024] };
    const e = userError(() => makeBatch(clip, MAX_BATCH_VALUES / (64 * 1024) + 1));
    expect(e.exitCode).toBe(EXIT.usage);
    expect(e.message).toMatch(/over the limit of 268435456; use a smaller --batch/);
  });
});

describe('non-finite --input features are refused (exit 3) naming the file and the first bad value', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(String(bad), () => {
      const dir = mkdtempSync(join(tmpdir(), 'melbench-bounds-'));
      const p = join(dir, 'bad.npy');
      const data = new Float32Array(2 * 3 * 4).fill(-20);
      data[1 * 12 + 2 * 4 + 3] = bad;
      writeFileSync(p, encodeNpy({ data, dims: [2, 3, 4] }));
      const e = userError(() => readFeaturesNpy(p));
      expect(e.exitCode).toBe(EXIT.badInput);
      expect(e.message).toContain(`bad.npy holds ${bad} at value 23 (position [1, 2, 3] of shape [2, 3, 4])`);
    });
  }

  it('bench --input nan.npy exits 3 before any row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-bounds-'));
    const p = join(dir, 'nan.npy');
    const data = new Float32Array(64 * 126).fill(-30);
    data[100] = Number.NaN;
    writeFileSync(p, encodeNpy({ data, dims: [1, 64, 126] }));
    const r = melbench('bench', '--models', 'dws-resnet', '--runtimes', 'cpu', '--input', p, '-o', join(dir, 'r.csv'));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toMatch(/nan\.npy holds NaN at value 100 \(position \[0, 0, 100\]/);
  });
});
