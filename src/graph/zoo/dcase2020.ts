/**
 * The DCASE 2020 task 1b baseline CNN (the reference system of seed 004's challenge):
 *   Conv 7x7 (32) -> BN -> ReLU -> MaxPool 5x5
 *   Conv 7x7 (64) -> BN -> ReLU -> MaxPool (4 x all remaining frames)
 *   Flatten -> Dense 100 -> ReLU -> Dense classes -> softmax
 * Dropout (0.3) is a training-time layer and is absent from the inference graph.
 *
 * NOTE: the baseline pools time by 100 over its 500 frames (10 s clips), i.e. over every frame
 * left after the first pool; we keep that meaning for any clip length, so the frame count is fixed.
 */
import { ModelBuilder } from '../builder.ts';
import { convBlock, melInput } from './blocks.ts';
import type { BuildOptions, ZooEntry } from './entry.ts';

function build(o: BuildOptions) {
  const b = new ModelBuilder('dcase-baseline', { seed: o.seed, initialise: o.initialise });
  const x = melInput(b, o, false);
  let h = b.scope('block1', () => b.maxPool(convBlock(b, x, 32, 7), { kernel: 5 }));
  h = b.scope('block2', () => {
    const c = convBlock(b, h, 64, 7);
    return b.maxPool(c, { kernel: [4, c.shape[3] as number] });
  });
  const f = b.scope('head', () => b.dense(b.relu(b.dense(b.flatten(h), 100, { init: 'he', name: 'fc1' })), o.classes, { name: 'logits' }));
  b.output(b.softmax(f, { name: 'probs' }));
  return b.build();
}

export const DCASE2020: ZooEntry[] = [
  {
    name: 'dcase-baseline',
    family: 'dcase2020',
    source: 'DCASE 2020 task 1b baseline (seed 004, section 4)',
    description: 'two 7x7 conv blocks with max-pool, dense 100, softmax',
    preset: 'default',
    anyLength: false,
    build,
  },
];
