/**
 * External data (src/export/external-data.ts): read from beside the model, written inline on
 * export, and refused, with one line naming the model, the tensor and the file (exit 3), when its
 * location escapes the model's directory (absolute, '..', a symlink out) or its bytes disagree
 * with the file or the dims.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import { fromOnnx, fromOnnxFile, toOnnx } from '../../src/export/onnx.ts';
import { EXTERNAL_DATA_FILE, onnxFixture } from '../fixtures/onnx-models.ts';
import { type ITensor, onnx } from './import-helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'melbench-ext-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = onnxFixture('external-data');
const bin = fixture.files![EXTERNAL_DATA_FILE];

let n = 0;
/** A fresh model directory holding the fixture with its tensor `w` edited, and the data file `files`. */
function modelDir(edit: (w: ITensor) => void, files: Record<string, Uint8Array> = { [EXTERNAL_DATA_FILE]: bin }): string {
  const dir = join(root, `m${n++}`, 'model');
  mkdirSync(dir, { recursive: true });
  const m = onnx.ModelProto.decode(fixture.bytes);
  edit(m.graph!.initializer!.find((t) => t.name === 'w')!);
  writeFileSync(join(dir, 'model.onnx'), onnx.ModelProto.encode(m).finish());
  for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
  return dir;
}

const setKey = (t: ITensor, key: string, value: string) => {
  const e = t.externalData!.find((x) => x.key === key);
  if (e) e.value = value;
  else t.externalData!.push({ key, value });
};

function refusal(dir: string): UserError {
  try {
    fromOnnxFile(join(dir, 'model.onnx'));
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('external data', () => {
  it('reads the data beside the model and writes it inline on export', () => {
    const dir = modelDir(() => {});
    const g = fromOnnxFile(join(dir, 'model.onnx'));
    const w = g.initializers.find((t) => t.name === 'w')!;
    expect(new Uint8Array((w.data as Float32Array).buffer)).toEqual(bin.slice(0, 32 * 16 * 4));
    const out = onnx.ModelProto.decode(toOnnx(g));
    expect(out.graph!.initializer!.every((t) => t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL && (t.rawData?.length ?? 0) > 0)).toBe(true);
  });

  it('accepts a symlink that stays inside the model directory', () => {
    const dir = modelDir((w) => setKey(w, 'location', 'link.bin'));
    symlinkSync(join(dir, EXTERNAL_DATA_FILE), join(dir, 'link.bin'));
    expect(fromOnnxFile(join(dir, 'model.onnx')).initializers).toHaveLength(2);
  });

  it.each([
    ['an absolute path', (dir: string) => join(dir, EXTERNAL_DATA_FILE), 'is an absolute path'],
    ["'..'", () => `../${EXTERNAL_DATA_FILE}`, "contains '..'"],
    ["'..' in the middle", () => `sub/../../${EXTERNAL_DATA_FILE}`, "contains '..'"],
  ])('refuses %s before reading anything', (_, loc, why) => {
    const dir = modelDir(() => {});
    const location = loc(dir);
    writeFileSync(join(dir, 'model.onnx'), (() => {
      const m = onnx.ModelProto.decode(fixture.bytes);
      setKey(m.graph!.initializer!.find((t) => t.name === 'w')!, 'location', location);
      return onnx.ModelProto.encode(m).finish();
    })());
    writeFileSync(join(dir, '..', EXTERNAL_DATA_FILE), bin); // the escape target exists: only the check stops it
    const e = refusal(dir);
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toBe(`${join(dir, 'model.onnx')}: tensor 'w': external data file '${location}' ${why}; melbench reads external data only from files inside the model's directory`);
  });

  it('refuses a symlink that leads out of the model directory', () => {
    const dir = modelDir((w) => setKey(w, 'location', 'escape.bin'));
    writeFileSync(join(dir, '..', 'outside.bin'), bin);
    symlinkSync(join(dir, '..', 'outside.bin'), join(dir, 'escape.bin'));
    expect(refusal(dir).message).toMatch(/tensor 'w': external data file 'escape\.bin' resolves \(through a symlink\) outside the model's directory$/);
  });

  it('refuses a truncated file, a length that disagrees with the dims, an offset past the end, and a missing file', () => {
    const truncated = modelDir(() => {}, { [EXTERNAL_DATA_FILE]: bin.slice(0, 1000) });
    expect(refusal(truncated).message).toMatch(/tensor 'w': external data file 'external-data\.bin' is 1000 bytes, too short for offset 0 \+ length 2048$/);
    const mismatch = modelDir((w) => setKey(w, 'length', '2044'));
    expect(refusal(mismatch).message).toMatch(/tensor 'w': external data file 'external-data\.bin' gives 2044 bytes for dims \[32,16\] of float32 \(2048 expected\)$/);
    const past = modelDir((w) => setKey(w, 'offset', String(bin.length + 1)));
    expect(refusal(past).message).toMatch(/has offset 2113 past its end \(2112 bytes\)$/);
    const missing = modelDir(() => {}, {});
    expect(refusal(missing).message).toMatch(/tensor 'w': external data file 'external-data\.bin' does not exist$/);
    const badOffset = modelDir((w) => setKey(w, 'offset', '-4'));
    expect(refusal(badOffset).message).toMatch(/has offset '-4', not a non-negative integer$/);
    for (const d of [truncated, mismatch, past, missing, badOffset]) expect(refusal(d).exitCode).toBe(EXIT.badInput);
  });

  it('refuses dims over the size limit before opening the file, and external data given as bytes alone', () => {
    const huge = modelDir((w) => (w.dims = [1 << 20, 1 << 20]), {});
    expect(refusal(huge).message).toMatch(/tensor 'w' has dims \[1048576,1048576\], over melbench's limit of 2147483648 bytes per tensor$/);
    const e = (() => {
      try {
        fromOnnx(fixture.bytes, 'bytes.onnx');
      } catch (err) {
        return err as UserError;
      }
    })()!;
    expect(e.exitCode).toBe(EXIT.badInput);
    expect(e.message).toBe("bytes.onnx: tensor 'w': external data file 'external-data.bin' cannot be read: the model was given as bytes, not as a file path");
  });
});
