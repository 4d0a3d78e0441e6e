import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import type { Signature, SigValue } from '../../src/export/signature.ts';
import { readSignature, signatureOfGraph } from '../../src/export/signature.ts';
import { toLayout } from '../../src/features/layout.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { feedsSha256 } from '../../src/runners/feed-sha256.ts';
import { type FeedOptions, makeFeeds, planFeeds } from '../../src/sweep/feeds.ts';
import { defaultInput, makeBatch, sha256 } from '../../src/sweep/inputs.ts';
import { getPreset } from '../../src/features/presets.ts';
import { builtinFeatures } from '../../src/sweep/inputs.ts';
import { onnxFixture } from '../fixtures/onnx-models.ts';

const v = (name: string, dtype: SigValue['dtype'], dims: SigValue['dims']): SigValue => ({ name, dtype, onnxType: dtype ?? 'double', dims });
const sig = (inputs: SigValue[], outputs: SigValue[] = [v('y', 'float32', [1])], metadata: Record<string, string> = {}): Signature => ({ inputs, outputs, metadata });
const FEATURES = { data: new Float32Array(2 * 3 * 4).map((_, i) => i), dims: [2, 3, 4] };
const plan = (s: Signature, o: Partial<FeedOptions> = {}) => planFeeds(s, { seed: 1, ...o }, FEATURES, 'm.onnx');

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('feeds from a signature', () => {
  const silero = sig([v('input', 'float32', ['batch', 512]), v('state', 'float32', [2, 'batch', 128]), v('sr', 'int64', [])], [v('output', 'float32', ['batch', 1]), v('stateN', 'float32', [2, 'batch', 128])]);

  it('feeds every input: the batch dim by name, zeros for state, the scalar given', () => {
    const p = plan(silero, { values: { sr: { kind: 'scalar', value: 16000, source: '16000' } } });
    expect(p.inputs.map((i) => i.source)).toEqual(['random', 'zeros', 'user']);
    const f = makeFeeds(p, 3, 'm.onnx');
    expect(f.feeds.input.dims).toEqual([3, 512]);
    expect(f.feeds.state.dims).toEqual([2, 3, 128]);
    expect(f.feeds.state.data.every((x) => x === 0)).toBe(true);
    expect(f.feeds.sr).toEqual({ type: 'int64', data: BigInt64Array.of(16000n), dims: [] });
    expect(f.shape).toBe('input=[3,512] state=[2,3,128] sr=[]');
    const x = f.feeds.input.data as Float32Array;
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...x)).toBeLessThan(1);
    expect(new Set(x).size).toBeGreaterThan(1000);
  });

  it('an integer input with no value is a usage error naming the input, its type and the flag', () => {
    const e = userError(() => plan(silero));
    expect(e.exitCode).toBe(EXIT.usage);
    expect(e.message).toMatch(/input 'sr' is int64 \[\].*--input sr=16000/);
  });

  it('a number in the metadata under the input name feeds an integer scalar', () => {
    const p = plan(sig([v('sr', 'int32', [])], undefined, { sr: '8000' }));
    expect(makeFeeds(p, 1, 'm').feeds.sr).toEqual({ type: 'int32', data: Int32Array.of(8000), dims: [] });
  });

  it('is deterministic for a seed, and the seed changes the noise', () => {
    const s = sig([v('x', 'float32', ['N', 16])]);
    const a = makeFeeds(plan(s), 2, 'm');
    expect(makeFeeds(plan(s), 2, 'm').sha256).toBe(a.sha256);
    expect(makeFeeds(plan(s, { seed: 2 }), 2, 'm').sha256).not.toBe(a.sha256);
  });

  it('an input named like an output is state: zeros', () => {
    const p = plan(sig([v('x', 'float32', [1, 4]), v('carry', 'float32', [1, 4])], [v('carry', 'float32', [1, 4])]));
    expect(p.inputs.map((i) => i.source)).toEqual(['random', 'zeros']);
  });

  it('--dim fixes a named dim; --shape a whole input; a free dim left is an error naming the flag', () => {
    const s = sig([v('x', 'float32', ['batch', 'seq', 40])]);
    expect(userError(() => plan(s)).message).toMatch(/input 'x' \[batch, seq, 40\] has a free dim 'seq' at index 1; set it with --dim seq=<n>/);
    expect(makeFeeds(plan(s, { dims: { seq: 50 } }), 2, 'm').feeds.x.dims).toEqual([2, 50, 40]);
    const unnamed = sig([v('x', 'float32', [null, null])]);
    expect(userError(() => plan(unnamed)).message).toMatch(/free dim 1 \(unnamed\) at index 1; set it with --shape x=<n>x<n>/);
    const p = plan(unnamed, { shapes: { x: [1, 512] } });
    expect(p.batched).toBe(false);
    expect(makeFeeds(p, 1, 'm').feeds.x.dims).toEqual([1, 512]);
    expect(userError(() => makeFeeds(p, 4, 'm')).message).toMatch(/no input has a batch dim.*use --batch 1/);
    // A sequence-first first dim is not a batch: it must be given.
    expect(userError(() => plan(sig([v('X', 'float32', ['seq', 1, 8])]))).message).toMatch(/free dim 'seq' at index 0; set it with --dim seq=<n>/);
  });

  it('refuses flags that fit no input: unknown input, unknown dim, wrong rank or fixed dim', () => {
    const s = sig([v('x', 'float32', [1, 'T'])]);
    expect(userError(() => plan(s, { dims: { T: 5, Q: 2 } })).message).toMatch(/--dim Q=\.\.\.: no input has a dim named 'Q'/);
    expect(userError(() => plan(s, { values: { y: { kind: 'scalar', value: 1, source: '1' } } })).message).toMatch(/--input y=\.\.\.: no input is named 'y' \(inputs: x float32\[1, T\]\)/);
    expect(userError(() => plan(s, { shapes: { x: [1, 2, 3] } })).message).toMatch(/--shape x=1x2x3 has rank 3/);
    expect(userError(() => plan(s, { shapes: { x: [2, 7] } })).message).toMatch(/does not fit input 'x' \[1, T\] at dim 0/);
  });

  it('a user tensor is checked against the input: dtype and shape (exit 3), then repeated along the batch', () => {
    const s = sig([v('x', 'float32', ['N', 3]), v('ids', 'int64', ['N', 2])]);
    const t = { kind: 'tensor' as const, tensor: { type: 'float32' as const, data: Float32Array.of(1, 2, 3), dims: [1, 3] }, source: 'x.npy' };
    const wrongType = userError(() => plan(s, { values: { x: t, ids: { ...t, source: 'ids.npy' } } }));
    expect([wrongType.exitCode, wrongType.message]).toEqual([EXIT.badInput, expect.stringMatching(/--input ids=ids\.npy holds float32 but input 'ids' is int64/)]);
    const s1 = sig([v('x', 'float32', ['N', 3])]);
    const wrongShape = userError(() => plan(s1, { values: { x: { ...t, tensor: { ...t.tensor, dims: [3, 1] } } } }));
    expect([wrongShape.exitCode, wrongShape.message]).toEqual([EXIT.badInput, expect.stringMatching(/has shape \[3, 1\] but input 'x' needs \[1, 3\]/)]);
    const f = makeFeeds(plan(s1, { values: { x: t } }), 2, 'm');
    expect([...(f.feeds.x.data as Float32Array)]).toEqual([1, 2, 3, 1, 2, 3]);
    expect(f.feeds.x.dims).toEqual([2, 3]);
  });

  it('a user value fills the free dims it brings (a waveform of any length), the batch dim stays the batch', () => {
    const s = sig([v('input', 'float32', ['batch_size', 'samples'])]);
    const audio = { kind: 'audio' as const, audio: { sampleRate: 16000, channels: [Float32Array.of(0.1, 0.2, 0.3)] }, source: 'a.wav' };
    const p = plan(s, { values: { input: audio } });
    expect(p.inputs[0].dims).toEqual(['batch', 3]);
    const f = makeFeeds(p, 2, 'm');
    expect(f.feeds.input.dims).toEqual([2, 3]);
    expect([...(f.feeds.input.data as Float32Array)]).toEqual([...Float32Array.of(0.1, 0.2, 0.3, 0.1, 0.2, 0.3)]);
    // A fixed length cuts or zero-pads the audio.
    const fixed = makeFeeds(plan(sig([v('audio', 'float32', ['N', 5])]), { values: { audio } }), 1, 'm');
    expect([...(fixed.feeds.audio.data as Float32Array)]).toEqual([...Float32Array.of(0.1, 0.2, 0.3, 0, 0)]);
  });

  it('a float16 input gets half-precision noise', () => {
    const f = makeFeeds(plan(sig([v('x', 'float16', [1, 8])])), 1, 'm');
    expect(f.feeds.x.type).toBe('float16');
    expect(f.feeds.x.data).toBeInstanceOf(Uint16Array);
  });

  it('a log-mel input gets the preset features as rolled clips: the same bytes and sha256 as before #12', () => {
    const preset = getPreset('default');
    const features = builtinFeatures(preset);
    const graph = getZooEntry('dws-resnet').build({ ...defaultInput(preset), classes: 4, seed: 1 });
    const p = planFeeds(signatureOfGraph(graph), { seed: 1 }, features, 'dws-resnet');
    expect(p.inputs[0].source).toBe('features');
    const f = makeFeeds(p, 3, 'dws-resnet');
    const before = makeBatch(features, 3);
    expect(f.sha256).toBe(sha256(before));
    expect(f.shape).toBe(before.dims.join('x'));
  });

  it("a bare --input features file no input takes is a model error (exit 4)", () => {
    const e = userError(() => plan(sig([v('x', 'float32', [1, 512])]), { features: FEATURES }));
    expect(e.exitCode).toBe(EXIT.badModel);
    expect(e.message).toMatch(/no input takes the --input features \[2, 3, 4\]/);
  });

  it('sha256 covers names, dtypes and dims of several inputs, not only their bytes', () => {
    const a = { type: 'float32' as const, data: new Float32Array(4), dims: [1, 4] };
    const b = { type: 'float32' as const, data: new Float32Array(2), dims: [1, 2] };
    const order = ['a', 'b'];
    const base = feedsSha256({ a, b }, order);
    expect(feedsSha256({ a: { ...a, dims: [4, 1] }, b }, order)).not.toBe(base);
    expect(feedsSha256({ a, b: { ...b, type: 'int32', data: new Int32Array(2) } }, order)).not.toBe(base);
    expect(feedsSha256({ b: a, a: b }, ['b', 'a'])).not.toBe(feedsSha256({ a, b }, ['a', 'b']));
  });
});

describe('readSignature', () => {
  it('reads names, types and dims (symbolic, fixed, scalar) straight from the ModelProto', () => {
    const s = readSignature(onnxFixture('silero-like-vad').bytes);
    expect(s.inputs.map((i) => [i.name, i.dtype, i.dims])).toEqual([
      ['input', 'float32', [1, 512]],
      ['state', 'float32', [2, 1, 128]],
      ['sr', 'int64', []],
    ]);
    expect(s.outputs.map((o) => o.name)).toEqual(['output', 'stateN']);
    expect(readSignature(onnxFixture('lstm').bytes).inputs[0].dims).toEqual(['seq', 1, 8]);
    expect(readSignature(onnxFixture('external-data').bytes).externalFiles).toEqual(['external-data.bin']);
  });

  it('refuses bytes that are not a model (exit 3)', () => {
    const e = userError(() => readSignature(new TextEncoder().encode('definitely not protobuf\n'), 'x.onnx'));
    expect(e.exitCode).toBe(EXIT.badInput);
  });
});

describe('features --layout', () => {
  it('transposes [C, M, T] to the named axis order', () => {
    // f[c, m, t] = 100c + 10m + t
    const f = { data: Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => 100 * Math.floor(i / 12) + 10 * (Math.floor(i / 4) % 3) + (i % 4)), dims: [2, 3, 4] };
    const tcm = toLayout(f, 'NTCM');
    expect(tcm.dims).toEqual([1, 4, 2, 3]);
    // out[0, t, c, m] at ((t*2)+c)*3+m
    expect(tcm.data[((3 * 2 + 1) * 3 + 2)]).toBe(100 + 20 + 3);
    const mono = { data: Float32Array.from({ length: 6 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3)), dims: [1, 2, 3] };
    expect(toLayout(mono, 'TM')).toEqual({ data: Float32Array.of(0, 10, 1, 11, 2, 12), dims: [3, 2] });
    expect(toLayout(mono, 'MT1').dims).toEqual([2, 3, 1]);
    expect(() => toLayout(f, 'TM')).toThrow(/2 channels, so the layout needs C/);
    expect(() => toLayout(f, 'CMTT')).toThrow(/axis T appears twice/);
  });
});
