/**
 * Which input the calibration and evaluation samples fill, what one sample of it is, and what
 * every other input is fed (src/ablate/sample-source.ts, planned by src/sweep/feeds.ts); and the
 * calibration run feeding all of a model's inputs (src/train/calibrate.ts `feeds`).
 */
import { describe, expect, it } from 'vitest';
import { feedsOf, loadSamples, planLines, type SampleOptions } from '../../src/ablate/sample-source.ts';
import { EXIT, UserError } from '../../src/errors.ts';
import type { SigDim, Signature } from '../../src/export/signature.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import type { DType } from '../../src/graph/dtype.ts';
import { collectActivations } from '../../src/train/calibrate.ts';

const v = (name: string, dtype: DType, dims: SigDim[]) => ({ name, dtype, onnxType: dtype, dims });
const sig = (inputs: ReturnType<typeof v>[], outputs: string[] = ['y'], metadata: Record<string, string> = {}): Signature => ({ inputs, outputs: outputs.map((o) => v(o, 'float32', [1])), metadata });
const opts = (feed: SampleOptions['feed'] = {}): SampleOptions => ({ calibCount: 5, evalCount: 3, seed: 1, preset: 'default', feed });

async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('loadSamples: the sample input and one sample of it', () => {
  it('a batch dim (any samples per run), a fixed leading 1 (one per run), none (the whole input)', async () => {
    const any = await loadSamples('random', sig([v('x', 'float32', ['N', 1, 16, 20])]), opts(), 'm');
    expect(any.shape).toEqual({ input: 'x', dims: [1, 16, 20], batch: 'any' });
    expect(any.calibration.x.length).toBe(5 * 320);
    expect(feedsOf(any, any.calibration.x.subarray(0, 3 * 320), 3).x.dims).toEqual([3, 1, 16, 20]);
    const one = await loadSamples('random', sig([v('x', 'float32', [1, 512])]), opts(), 'm');
    expect(one.shape).toEqual({ input: 'x', dims: [512], batch: 'one' });
    const none = await loadSamples('random', sig([v('x', 'float32', [16, 96])]), opts(), 'm');
    expect(none.shape).toEqual({ input: 'x', dims: [16, 96], batch: 'none' });
    expect(feedsOf(none, none.evaluation.x.subarray(0, 16 * 96), 1).x.dims).toEqual([16, 96]);
  });

  it('a free dim that is not a batch takes --dim (or --shape), and without it the error names the flag', async () => {
    const s = sig([v('x', 'float32', ['seq', 40])]);
    const e = await userError(loadSamples('random', s, opts(), 'm.onnx'));
    expect(e.exitCode).toBe(EXIT.usage);
    expect(e.message).toBe("m.onnx: input 'x' takes samples of [seq, 40], with a free dim random samples cannot size: set it with --dim seq=<n>, or give a dataset or a folder of .npy samples");
    expect((await loadSamples('random', s, opts({ dims: { seq: 50 } }), 'm')).shape).toEqual({ input: 'x', dims: [50, 40], batch: 'none' });
    expect((await loadSamples('random', s, opts({ shapes: { x: [50, 40] } }), 'm')).shape).toEqual({ input: 'x', dims: [50, 40], batch: 'none' });
  });

  it('three inputs: the float input takes the samples, the state follows the batch with zeros, sr comes from --input or the metadata', async () => {
    const inputs = [v('input', 'float32', ['N', 1, 16, 20]), v('state', 'float32', [2, 'N', 8]), v('sr', 'int64', [])];
    const values = { sr: { kind: 'scalar' as const, value: 16000, source: '16000' } };
    const s = await loadSamples('random', sig(inputs, ['output', 'stateN']), opts({ values }), 'm');
    expect(s.shape).toEqual({ input: 'input', dims: [1, 16, 20], batch: 'any' });
    const f = feedsOf(s, s.evaluation.x.subarray(0, 2 * 320), 2);
    expect(f.input.data).toEqual(s.evaluation.x.subarray(0, 2 * 320));
    expect(f.state).toEqual({ type: 'float32', data: new Float32Array(2 * 2 * 8), dims: [2, 2, 8] });
    expect(f.sr).toEqual({ type: 'int64', data: BigInt64Array.of(16000n), dims: [] });
    expect(planLines(s, 'the samples')).toEqual([
      "input 'input' float32 [1, 1, 16, 20] <- the samples",
      "input 'state' float32 [2, batch, 8] <- zeros (state-like)",
      "input 'sr' int64 [] <- --input",
    ]);
    const meta = await loadSamples('random', sig(inputs, ['output', 'stateN'], { sr: '8000' }), opts(), 'm');
    expect(feedsOf(meta, meta.evaluation.x.subarray(0, 320), 1).sr.data).toEqual(BigInt64Array.of(8000n));
    const missing = await userError(loadSamples('random', sig(inputs, ['output', 'stateN']), opts(), 'm'));
    expect(missing.message).toMatch(/input 'sr' is int64 \[\]; .*--input sr=16000/);
  });

  it('a state-like first input (h0, or one named like an output) is not the sample input', async () => {
    const s = await loadSamples('random', sig([v('h0', 'float32', [1, 8]), v('x', 'float32', ['N', 4])], ['y', 'hn']), opts(), 'm');
    expect(s.shape.input).toBe('x');
    const t = await loadSamples('random', sig([v('cache', 'float32', [1, 8]), v('feat', 'float32', [1, 4])], ['y', 'cache']), opts(), 'm');
    expect(t.shape.input).toBe('feat');
  });

  it('no input for the samples: exit 4; the only one named by --input: exit 2', async () => {
    const ints = await userError(loadSamples('random', sig([v('ids', 'int64', [1, 8])]), opts(), 'm'));
    expect([ints.exitCode, ints.message]).toEqual([EXIT.badModel, "m: no input for the samples to fill (inputs: ids int64[1, 8]); calibration and fidelity fill a float32 input that is not state-like"]);
    const values = { x: { kind: 'scalar' as const, value: 1, source: '1' } };
    const named = await userError(loadSamples('random', sig([v('x', 'float32', [1])]), opts({ values }), 'm'));
    expect(named.exitCode).toBe(EXIT.usage);
    expect(named.message).toMatch(/--input x=\.\.\. feeds 'x', the float32 input the samples fill/);
  });
});

describe('collectActivations with every input fed', () => {
  it('calibrates the sample input and the activations, feeds the others (state zeros, sr) without measuring them', async () => {
    const b = new ModelBuilder('stateful', { seed: 2 });
    const x = b.input('x', ['N', 4]);
    const state = b.input('state', [2, 'N', 3]);
    const sr = b.input('sr', [], 'int64');
    const h = b.dense(x, 3, { name: 'fc' });
    const stateN = b.apply('Tanh', [b.add(state, h)], {}, 'stateN');
    b.output(b.apply('Mul', [b.apply('ReduceMean', [stateN], { axes: [0], keepdims: 0 }), b.apply('Cast', [sr], { to: 1 })], {}, 'y'));
    b.output(stateN);
    const s = await loadSamples('random', sig([v('x', 'float32', ['N', 4]), v('state', 'float32', [2, 'N', 3]), v('sr', 'int64', [])], ['y', 'stateN']), { ...opts({ values: { sr: { kind: 'scalar', value: 2, source: '2' } } }), calibCount: 20 }, 'm');
    const stats = await collectActivations(b.build(), s.calibration.x, s.shape.dims, { batch: 8, input: 'x', feeds: (c, m) => feedsOf(s, c, m) });
    expect(stats.has('x')).toBe(true);
    expect(stats.has('state')).toBe(false);
    expect(stats.get('x')!.count).toBe(20 * 4);
    // stateN = tanh(0 + fc(x)) over 2 x 20 rows of 3; y = mean_0(stateN) * 2 = 2 tanh(fc(x)).
    expect(stats.get('stateN')!.count).toBe(2 * 20 * 3);
    expect(stats.get('y')!.max).toBeCloseTo(2 * stats.get('stateN')!.max, 5);
  });
});
