/**
 * How buildVariant reports pass notes: the nodes a precision pass left in float32 fill the row's
 * kept_fp32 as "name (OpType): why" (the same formatter every command uses), and every pass's
 * nodes left alone are logged in that form. Passes that need no training data only (fp16,
 * dynamic, fold-bn, magnitude pruning) on an untrained zoo model, so this runs in a second.
 */
import { describe, expect, it } from 'vitest';
import { type BuildContext, buildVariant, type VariantBase } from '../../src/ablate/build-variant.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';

function setup(exclude: string[]) {
  const graph = getZooEntry('dws-resnet').build({ channels: 1, mels: 32, frames: 32, classes: 4, seed: 1 });
  const base: VariantBase = {
    name: 'dws',
    graph,
    calibration: () => {
      throw new Error('these variants need no calibration');
    },
  };
  const log: string[] = [];
  const ctx: BuildContext = { calibrationClips: 4, fineTuneLr: 0.01, seed: 1, exclude, log: (l) => log.push(l) };
  return { graph, base, ctx, log };
}

describe('buildVariant notes', () => {
  it('lists the excluded first conv in kept_fp32 as "name (Conv): why", for dynamic and fp16, and logs it', async () => {
    const first = setup([]).graph.nodes.find((n) => n.opType === 'Conv')!.name;
    const { base, ctx, log } = setup([first]);
    const dyn = await buildVariant(base, { kind: 'dynamic' }, ctx);
    expect(dyn.compression.keptFloat).toEqual([`${first} (Conv): excluded by the caller`]);
    const fp16 = await buildVariant(base, { kind: 'fp16', keepIo: true }, ctx);
    expect(fp16.compression.keptFloat).toEqual([`${first} (Conv): excluded by the caller`]);
    expect(log).toEqual([`dws dynamic: left alone: ${first} (Conv): excluded by the caller`, `dws fp16: left alone: ${first} (Conv): excluded by the caller`]);
  });

  it('keeps kept_fp32 empty for passes that change no precision, and logs nothing when every node was handled', async () => {
    const { base, ctx, log } = setup([]);
    for (const v of [{ kind: 'fold-bn' }, { kind: 'magnitude', scope: 'global', ratio: 0.5 }, { kind: 'dynamic' }] as const) {
      expect((await buildVariant(base, v, ctx)).compression.keptFloat).toEqual([]);
    }
    expect(log).toEqual([]);
  });
});
