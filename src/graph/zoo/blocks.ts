/**
 * Convolution blocks shared by the zoo (seed 000, Fig. 3 (a)-(c)):
 *   convBlock  Conv kxk -> BN -> ReLU                                   (a) traditional
 *   dwsBlock   depthwise Conv 3x3 -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU   (b) MobileNet v1
 *   birBlock   1x1 expand (t*width) -> BN -> ReLU6 -> depthwise 3x3 -> BN -> ReLU6
 *              -> 1x1 project -> BN, linear (no activation)             (c) MobileNet v2
 */
import type { ModelBuilder, Value } from '../builder.ts';

export function convBlock(b: ModelBuilder, x: Value, filters: number, kernel: number | [number, number], stride = 1): Value {
  return b.relu(b.batchNorm(b.conv(x, { filters, kernel, stride, bias: false })));
}

export function dwsBlock(b: ModelBuilder, x: Value, filters: number, stride = 1): Value {
  const channels = x.shape[1] as number;
  const dw = b.relu(b.batchNorm(b.conv(x, { filters: channels, kernel: 3, stride, groups: channels, bias: false, name: 'depthwise' })));
  return b.relu(b.batchNorm(b.conv(dw, { filters, kernel: 1, bias: false, name: 'pointwise' })));
}

export function birBlock(b: ModelBuilder, x: Value, filters: number, o: { expansion: number; width: number }): Value {
  const hidden = o.width * o.expansion;
  const e = b.relu6(b.batchNorm(b.conv(x, { filters: hidden, kernel: 1, bias: false, name: 'expand' })));
  const d = b.relu6(b.batchNorm(b.conv(e, { filters: hidden, kernel: 3, groups: hidden, bias: false, name: 'depthwise' })));
  return b.batchNorm(b.conv(d, { filters, kernel: 1, bias: false, name: 'project' }));
}

/** The classifier head every global-pooling model shares: GAP -> Flatten -> Dense -> Softmax('probs'). */
export function poolAndClassify(b: ModelBuilder, h: Value, classes: number): Value {
  const logits = b.scope('head', () => b.dense(b.flatten(b.globalAvgPool(h)), classes, { name: 'logits' }));
  return b.softmax(logits, { name: 'probs' });
}

/** The 'mel' input: [N, C, M, T] with T symbolic when the model accepts any length. */
export function melInput(b: ModelBuilder, o: { channels: number; mels: number; frames: number }, anyLength: boolean): Value {
  return b.input('mel', ['N', o.channels, o.mels, anyLength ? 'T' : o.frames]);
}
