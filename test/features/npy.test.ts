/**
 * decodeNpyArray: every dtype an ONNX input takes, in both byte orders numpy writes, against
 * hand-written files (test/fixtures/npy-files.ts) and, where /usr/bin/python3 has numpy, against
 * files numpy itself saved; Fortran order and dtypes melbench does not read are refused in one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { decodeNpy, decodeNpyArray, encodeNpy } from '../../src/features/npy.ts';
import { bytesOf, descrOf, NPY_CODE, npyFile, type NpyTestDType, sampleValues } from '../fixtures/npy-files.ts';

const DTYPES = Object.keys(NPY_CODE) as NpyTestDType[];

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('decodeNpyArray: every dtype, both byte orders', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: little- and big-endian give the same values, in melbench's typed array`, () => {
      const values = sampleValues(dtype);
      for (const order of ['<', '>'] as const) {
        const descr = descrOf(dtype, order);
        const a = decodeNpyArray(npyFile(descr, [2, 3], bytesOf({ data: values })), `x${order}.npy`);
        expect(a.dtype).toBe(dtype);
        expect(a.descr).toBe(descr);
        expect(a.dims).toEqual([2, 3]);
        expect(a.data.constructor).toBe(values.constructor);
        // Compared as bytes: -0 and NaN bits must survive, not just compare equal.
        expect(bytesOf(a)).toEqual(bytesOf({ data: values }));
      }
    });
  }

  it('a 0-d array (np.save of a scalar) has dims [] and one value', () => {
    const a = decodeNpyArray(npyFile('<i8', [], bytesOf({ data: BigInt64Array.of(16000n) })), 'sr.npy');
    expect(a.dims).toEqual([]);
    expect(a.data).toEqual(BigInt64Array.of(16000n));
  });

  it('values at an odd offset in a Node Buffer (readFileSync) are copied, not viewed', () => {
    const file = npyFile('<f8', [3], bytesOf({ data: Float64Array.of(1, 2, 3) }));
    const pooled = Buffer.concat([Buffer.from([7]), Buffer.from(file)]).subarray(1);
    expect(decodeNpyArray(pooled, 'x.npy').data).toEqual(Float64Array.of(1, 2, 3));
  });
});

describe('decodeNpyArray: what it refuses, one line, exit 3', () => {
  it('Fortran order, with the numpy call that fixes it', () => {
    const e = userError(() => decodeNpyArray(npyFile('<f4', [2, 3], new Uint8Array(24), { fortran: true }), 'f.npy'));
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toBe('f.npy: not an .npy array melbench reads (Fortran order is not supported: melbench reads C-order arrays; save it with np.save(path, np.ascontiguousarray(a)))');
  });

  it('a dtype it does not read, and a multi-byte dtype with no byte order', () => {
    expect(userError(() => decodeNpyArray(npyFile('<c8', [1], new Uint8Array(8)), 'c.npy')).message).toMatch(/^c\.npy: not an \.npy array melbench reads \(dtype '<c8'; it reads float16, float32, .* and bool\)$/);
    expect(userError(() => decodeNpyArray(npyFile('<U4', [1], new Uint8Array(16)), 'u.npy')).message).toMatch(/dtype '<U4'/);
    expect(userError(() => decodeNpyArray(npyFile('|i4', [1], new Uint8Array(4)), 'i.npy')).message).toMatch(/dtype '\|i4' gives no byte order for a 4-byte type/);
  });

  it('truncated data is refused before any allocation', () => {
    const e = userError(() => decodeNpyArray(npyFile('<i8', [1000000000, 1000], new Uint8Array(8)), 't.npy'));
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toMatch(/data is truncated: shape \[1000000000,1000\] is 1000000000000 values, which need 8000000000000 bytes/);
  });
});

describe('decodeNpy (the features path) is unchanged', () => {
  it('float32 and float64 as float32; any other dtype names itself and what it expects', () => {
    const t = { data: Float32Array.of(1, -2, 0.5), dims: [3] };
    expect(decodeNpy(encodeNpy(t))).toEqual(t);
    expect(decodeNpy(npyFile('<f8', [3], bytesOf({ data: Float64Array.of(1, -2, 0.5) })))).toEqual(t);
    expect(userError(() => decodeNpy(npyFile('<i8', [1], new Uint8Array(8)), 'i.npy')).message).toBe('i.npy: not a float32 .npy array (dtype <i8; expected <f4 or <f8)');
    expect(userError(() => decodeNpy(npyFile('<f4', [1], new Uint8Array(4), { fortran: true }), 'f.npy')).message).toMatch(/^f\.npy: not a float32 \.npy array \(Fortran order/);
  });
});

const PYTHON = '/usr/bin/python3';
const hasNumpy = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('files numpy saved', () => {
  // NOTE: an optional cross-check: melbench never depends on Python; CI without numpy skips it.
  it.skipIf(!hasNumpy)('np.save of every dtype, both byte orders, a scalar and a Fortran array decode as numpy meant', () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-npy-'));
    const script = `
import numpy as np, sys
d = sys.argv[1]
vals = [1, -2, 3, 0, 5, 6]
for code in ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1']:
    for order in '<>':
        a = np.array([abs(v) if code[0] in 'ub' else v for v in vals], dtype=np.dtype(order + code)).reshape(2, 3)
        np.save(f'{d}/{order == "<" and "le" or "be"}_{code}.npy', a)
np.save(f'{d}/scalar.npy', np.int64(16000))
np.save(f'{d}/fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
`;
    const py = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    for (const dtype of DTYPES) {
      const code = NPY_CODE[dtype];
      const want = [1, -2, 3, 0, 5, 6].map((v) => (code[0] === 'u' ? Math.abs(v) : code[0] === 'b' ? Number(v !== 0) : v));
      for (const order of ['le', 'be']) {
        const a = decodeNpyArray(readFileSync(join(dir, `${order}_${code}.npy`)), `${order}_${code}.npy`);
        expect([a.dtype, a.dims], `${order} ${code}`).toEqual([dtype, [2, 3]]);
        const got = dtype === 'float16' ? [...(a.data as Uint16Array)].map((b) => ({ 0x3c00: 1, 0xc000: -2, 0x4200: 3, 0: 0, 0x4500: 5, 0x4600: 6 })[b]) : [...a.data].map(Number);
        expect(got, `${order} ${code}`).toEqual(want);
      }
    }
    // numpy writes '<' (little-endian machine) and '|' for one-byte types, never '='.
    expect(decodeNpyArray(readFileSync(join(dir, 'le_i4.npy'))).descr).toBe('<i4');
    expect(decodeNpyArray(readFileSync(join(dir, 'be_i4.npy'))).descr).toBe('>i4');
    expect(decodeNpyArray(readFileSync(join(dir, 'le_b1.npy'))).descr).toBe('|b1');
    const s = decodeNpyArray(readFileSync(join(dir, 'scalar.npy')));
    expect([s.dtype, s.dims, s.data]).toEqual(['int64', [], BigInt64Array.of(16000n)]);
    expect(() => decodeNpyArray(readFileSync(join(dir, 'fortran.npy')), 'fortran.npy')).toThrow(/Fortran order is not supported/);
  });
});
