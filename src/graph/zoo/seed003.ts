/**
 * Seed 003 ("Audio Classification with PyTorch" notes):
 *   cnn      [Conv 3x3 valid -> BN -> ReLU] x 2 (16, 32 filters), no pooling, Flatten,
 *            Dense 512 -> ReLU -> Dense 64 -> ReLU -> Dense classes -> softmax (built for 13x49 MFCC)
 *   newcnn   [Conv 3x3 -> LeakyReLU] x 5 with 64 filters, adaptive (global) pooling, then
 *            Dense 32 -> LeakyReLU -> Dense classes: any clip length
 *   resnet18 torchvision's ResNet-18 (BasicBlocks 64-128-256-512, x2 each) on a C-channel spectrogram
 *
 * NOTE: newcnn's notes give no pooling inside the encoder; we add 2x2 max-pools after its 2nd and
 * 4th convs, which keeps it under 0.5 GMAC on a 64x126 log-mel.
 */
import { ModelBuilder, type Value } from '../builder.ts';
import { convBlock, melInput, poolAndClassify } from './blocks.ts';
import type { BuildOptions, ZooEntry } from './entry.ts';

function buildCnn(o: BuildOptions) {
  const b = new ModelBuilder('cnn', { seed: o.seed, initialise: o.initialise });
  const x = melInput(b, o, false);
  let h = b.scope('conv1', () => b.relu(b.batchNorm(b.conv(x, { filters: 16, kernel: 3, pad: 'valid' }))));
  h = b.scope('conv2', () => b.relu(b.batchNorm(b.conv(h, { filters: 32, kernel: 3, pad: 'valid' }))));
  const logits = b.scope('head', () => {
    let f = b.relu(b.dense(b.flatten(h), 512, { init: 'he', name: 'fc1' }));
    f = b.relu(b.dense(f, 64, { init: 'he', name: 'fc2' }));
    return b.dense(f, o.classes, { name: 'logits' });
  });
  b.output(b.softmax(logits, { name: 'probs' }));
  return b.build();
}

function buildNewCnn(o: BuildOptions) {
  const b = new ModelBuilder('newcnn', { seed: o.seed, initialise: o.initialise });
  let h: Value = melInput(b, o, true);
  for (let i = 1; i <= 5; i++) {
    h = b.scope(`conv${i}`, () => {
      const c = b.leakyRelu(b.conv(h, { filters: 64, kernel: 3 }));
      return i === 2 || i === 4 ? b.maxPool(c, { kernel: 2 }) : c;
    });
  }
  const logits = b.scope('head', () => {
    const f = b.leakyRelu(b.dense(b.flatten(b.globalAvgPool(h)), 32, { init: 'he', name: 'fc1' }));
    return b.dense(f, o.classes, { name: 'logits' });
  });
  b.output(b.softmax(logits, { name: 'probs' }));
  return b.build();
}

/** torchvision BasicBlock: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)). */
function basicBlock(b: ModelBuilder, x: Value, filters: number, stride: number): Value {
  const y = b.batchNorm(b.conv(convBlock(b, x, filters, 3, stride), { filters, kernel: 3, bias: false }));
  const shortcut =
    stride === 1 && x.shape[1] === filters ? x : b.batchNorm(b.conv(x, { filters, kernel: 1, stride, bias: false, name: 'downsample' }));
  return b.relu(b.add(shortcut, y, 'skip'));
}

function buildResnet18(o: BuildOptions) {
  const b = new ModelBuilder('resnet18', { seed: o.seed, initialise: o.initialise });
  const x = melInput(b, o, true);
  let h = b.scope('stem', () => b.maxPool(convBlock(b, x, 64, 7, 2), { kernel: 3, stride: 2, pad: 1 }));
  [64, 128, 256, 512].forEach((filters, i) => {
    for (let j = 0; j < 2; j++) {
      h = b.scope(`layer${i + 1}.${j}`, () => basicBlock(b, h, filters, i > 0 && j === 0 ? 2 : 1));
    }
  });
  b.output(poolAndClassify(b, h, o.classes));
  return b.build();
}

export const SEED003: ZooEntry[] = [
  {
    name: 'cnn',
    family: 'seed003',
    source: 'seed 003, "CNN 모델 구조"',
    description: 'two valid 3x3 conv blocks (16, 32), flatten, dense 512-64 (for 13-coefficient MFCC)',
    preset: 'seed003-mfcc',
    anyLength: false,
    build: buildCnn,
  },
  {
    name: 'newcnn',
    family: 'seed003',
    source: 'seed 003, "변경 후 CNN 모델"',
    description: '5x [conv 3x3 64 + LeakyReLU], adaptive pooling, dense 32',
    preset: 'default',
    anyLength: true,
    build: buildNewCnn,
  },
  {
    name: 'resnet18',
    family: 'seed003',
    source: 'seed 003, "Resnet 모델 구조" (torchvision ResNet-18)',
    description: 'ResNet-18: 7x7/2 stem, BasicBlocks 64-128-256-512 x2, global average pool',
    preset: 'default',
    anyLength: true,
    build: buildResnet18,
  },
];
