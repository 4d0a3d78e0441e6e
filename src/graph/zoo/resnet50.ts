/**
 * Seed 001 (Ha et al.): ResNet-50 on mel spectrograms, used here for latency only.
 * torchvision ResNet-50 v1.5: 7x7/2 stem, 3x3/2 max-pool, Bottleneck blocks [3, 4, 6, 3]
 * with widths 64-128-256-512 and expansion 4 (1x1 reduce -> 3x3 (stride here) -> 1x1 expand),
 * global average pool, dense classifier.
 */
import { ModelBuilder, type Value } from '../builder.ts';
import { convBlock, melInput, poolAndClassify } from './blocks.ts';
import type { BuildOptions, ZooEntry } from './entry.ts';

const EXPANSION = 4;

function bottleneck(b: ModelBuilder, x: Value, width: number, stride: number): Value {
  const out = width * EXPANSION;
  let y = convBlock(b, x, width, 1);
  y = convBlock(b, y, width, 3, stride);
  y = b.batchNorm(b.conv(y, { filters: out, kernel: 1, bias: false }));
  const shortcut = stride === 1 && x.shape[1] === out ? x : b.batchNorm(b.conv(x, { filters: out, kernel: 1, stride, bias: false, name: 'downsample' }));
  return b.relu(b.add(shortcut, y, 'skip'));
}

function build(o: BuildOptions) {
  const b = new ModelBuilder('resnet50', { seed: o.seed, initialise: o.initialise });
  const x = melInput(b, o, true);
  let h = b.scope('stem', () => b.maxPool(convBlock(b, x, 64, 7, 2), { kernel: 3, stride: 2, pad: 1 }));
  ([[64, 3], [128, 4], [256, 6], [512, 3]] as const).forEach(([width, blocks], i) => {
    for (let j = 0; j < blocks; j++) h = b.scope(`layer${i + 1}.${j}`, () => bottleneck(b, h, width, i > 0 && j === 0 ? 2 : 1));
  });
  b.output(poolAndClassify(b, h, o.classes));
  return b.build();
}

export const RESNET50: ZooEntry[] = [
  {
    name: 'resnet50',
    family: 'resnet50',
    source: 'seed 001 (Ha et al.), ResNet layer-50',
    description: 'ResNet-50 v1.5 bottlenecks [3,4,6,3] on log-mel (latency only: ~23.5M params)',
    preset: 'default',
    anyLength: true,
    build,
  },
];
