/**
 * Feature tensors in the layouts models take. melbench computes [C, M, T] (channels, mel bins or
 * coefficients, frames); exported models often want [T, M] (sequence-first), [1, T, M], [M, T, 1]
 * (channels-last images) or [1, C, M, T]. A layout is a string of axis letters:
 *   C channels, M mels, T frames (each at most once; C may be left out only when it is 1),
 *   N or 1 a unit axis (N: the batch of one clip).
 * out[i_0, ..., i_k] = in[c, m, t] with (c, m, t) read off the named axes: a pure transpose.
 */
import { UserError } from '../errors.ts';
import type { FeatureTensor } from './types.ts';

export const LAYOUT_EXAMPLES = ['CMT', 'MT', 'TM', '1TM', 'MT1', 'NCMT', 'NTM', 'NMT1'];

/** `f` ([C, M, T]) rearranged to `layout`; a bad layout is a usage error naming it. */
export function toLayout(f: FeatureTensor, layout: string): FeatureTensor {
  const axes = layout.toUpperCase().split('');
  const bad = (why: string): never => {
    throw new UserError(`--layout ${layout}: ${why}; use the letters C, M, T (each at most once) and N or 1 for unit axes, e.g. ${LAYOUT_EXAMPLES.join(', ')}`);
  };
  if (!axes.length || axes.length > 8) bad('expected 1 to 8 letters');
  const other = axes.find((a) => !'CMTN1'.includes(a));
  if (other) bad(`unknown axis '${other}'`);
  for (const a of 'CMT') if (axes.filter((x) => x === a).length > 1) bad(`axis ${a} appears twice`);
  if (!axes.includes('M') || !axes.includes('T')) bad('it needs both M and T');
  const [c, m, t] = f.dims;
  if (!axes.includes('C') && c !== 1) bad(`the features have ${c} channels, so the layout needs C`);
  const size: Record<string, number> = { C: c, M: m, T: t, N: 1, '1': 1 };
  const dims = axes.map((a) => size[a]);
  // Strides of C, M, T in the output; unit axes add nothing.
  const stride: Record<string, number> = { C: 0, M: 0, T: 0 };
  let s = 1;
  for (let i = axes.length - 1; i >= 0; i--) {
    if (axes[i] in stride) stride[axes[i]] = s;
    s *= dims[i];
  }
  const out = new Float32Array(f.data.length);
  for (let ci = 0; ci < c; ci++) {
    for (let mi = 0; mi < m; mi++) {
      for (let ti = 0; ti < t; ti++) out[ci * stride.C + mi * stride.M + ti * stride.T] = f.data[(ci * m + mi) * t + ti];
    }
  }
  return { data: out, dims };
}
