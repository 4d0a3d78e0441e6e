/**
 * Seed 000 (Lim & Kwak 2021, "Light weight architecture for acoustic scene classification"), Fig. 3.
 *
 * ResNet (e): a ConvBlock stem of 64 filters, then three residual stages, each a 2x2 max-pool
 * followed by x + Block(x), then global average pooling and a dense softmax classifier. The
 * traditional Block is a 1x1 ConvBlock then a 3x3 ConvBlock: the text (section 3) stacks "a
 * convolution of kernel (1,1) first, then one of kernel (3,3)" in every residual block after the
 * first ConvBlock, a GoogLeNet-style bottleneck.
 * ResNet RF-1 (f): two residual stages, then two 1x1 ConvBlocks (a smaller receptive field).
 * The shaded Block is (a) a traditional ConvBlock, (b) DWS for 'dws-*', or (c) BIR for 'bir-*'
 * (t = 2 on a width of 32, ReLU6, linear projection).
 *
 * NOTE: the text gives the blocks, 64 filters and the model sizes (ResNet 503 KB ≈ 125k params,
 * RF-1 375 KB). This layout has 125.1k (ResNet) and 92.4k (RF-1) params for 12 classes, 0.5% and
 * 1.5% under those sizes; the DWS and BIR Blocks follow the figure's (b) and (c) alone.
 */
import { ModelBuilder, type Value } from '../builder.ts';
import { birBlock, convBlock, dwsBlock, melInput, poolAndClassify } from './blocks.ts';
import type { BuildOptions, ZooEntry } from './entry.ts';

const FILTERS = 64;
type BlockKind = 'conv' | 'dws' | 'bir';

/** The traditional Block: 1x1 ConvBlock -> 3x3 ConvBlock. */
function bottleneck(b: ModelBuilder, x: Value): Value {
  const reduced = b.scope('conv1x1', () => convBlock(b, x, FILTERS, 1));
  return b.scope('conv3x3', () => convBlock(b, reduced, FILTERS, 3));
}

function residual(b: ModelBuilder, x: Value, kind: BlockKind): Value {
  const y =
    kind === 'conv'
      ? bottleneck(b, x)
      : kind === 'dws'
        ? dwsBlock(b, x, FILTERS)
        : birBlock(b, x, FILTERS, { expansion: 2, width: 32 });
  return b.add(x, y, 'skip');
}

function buildLim2021(name: string, kind: BlockKind, rf1: boolean, o: BuildOptions) {
  const b = new ModelBuilder(name, { seed: o.seed, initialise: o.initialise });
  const x = melInput(b, o, true);
  let h = b.scope('stem', () => convBlock(b, x, FILTERS, 3));
  const stages = rf1 ? 2 : 3;
  for (let s = 1; s <= stages; s++) {
    h = b.scope(`stage${s}`, () => residual(b, b.maxPool(h, { kernel: 2 }), kind));
  }
  if (rf1) {
    h = b.scope('rf1', () => convBlock(b, convBlock(b, h, FILTERS, 1), FILTERS, 1));
  }
  b.output(poolAndClassify(b, h, o.classes));
  return b.build();
}

function entry(name: string, kind: BlockKind, rf1: boolean, figure: string): ZooEntry {
  return {
    name,
    family: 'lim2021',
    source: `seed 000 (Lim & Kwak 2021), Fig. 3 ${figure}`,
    description: `${rf1 ? 'ResNet RF-1' : 'ResNet'} with ${kind === 'conv' ? 'traditional' : kind.toUpperCase()} conv blocks, 64 filters`,
    preset: 'default',
    anyLength: true,
    build: (o) => buildLim2021(name, kind, rf1, o),
  };
}

export const LIM2021: ZooEntry[] = [
  entry('resnet', 'conv', false, '(e)'),
  entry('resnet-rf1', 'conv', true, '(f)'),
  entry('dws-resnet', 'dws', false, '(e) with (b)'),
  entry('dws-resnet-rf1', 'dws', true, '(f) with (b)'),
  entry('bir-resnet', 'bir', false, '(e) with (c)'),
  entry('bir-resnet-rf1', 'bir', true, '(f) with (c)'),
];
