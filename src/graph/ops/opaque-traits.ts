/**
 * Traits of ops melbench carries opaquely (no OpDef: no shape or gradient rule), for the facts the
 * cost model needs about them. This is the one place such facts live; `traitsOf` (ops/index.ts)
 * reads it only for an op with no OpDef, and no pass acts on these ops (no `weight`, no
 * `channels`, no quantization trait), so they stay carried as they are.
 *
 * ONNX recurrent ops, default domain (inputs X, W, R, B, sequence_lens, initial_h[, initial_c, P]):
 *   LSTM  W [D, 4H, I], R [D, 4H, H], B [D, 8H] (Wb and Rb: PyTorch's b_ih + b_hh), P [D, 3H] peepholes
 *   GRU   W [D, 3H, I], R [D, 3H, H], B [D, 6H]
 *   RNN   W [D, H, I],  R [D, H, H],  B [D, 2H]
 * MACs 'recurrent': per time step and direction, the gate matmuls W·x and R·h, i.e. numel(W) +
 * numel(R) per step over all directions (LSTM 4H(I+H) per direction, GRU 3H(I+H), RNN H(I+H));
 * biases, peepholes and the gates' elementwise products are not counted (the DCASE convention).
 *
 * Control flow (If, Loop, Scan): how their bodies' MACs count (`body`). Gather, Split:
 * a weight read through them is still the weight (`carriesWeight`). Gather, Shape, Size,
 * ConstantOfShape, Equal, Not: evaluated over constants (`constantFold`, src/export/const-eval.ts),
 * the shape checks and pads of PyTorch's scripted exports.
 */
import type { OpTraits } from './op.ts';

export const OPAQUE_TRAITS: Readonly<{ [opType: string]: OpTraits }> = Object.freeze({
  LSTM: { learned: [1, 2, 3, 7], macs: 'recurrent' },
  GRU: { learned: [1, 2, 3], macs: 'recurrent' },
  RNN: { learned: [1, 2, 3], macs: 'recurrent' },
  If: { body: 'branches' },
  Loop: { body: 'loop' },
  Scan: { body: 'scan' },
  Gather: { carriesWeight: 'first', constantFold: true },
  Split: { carriesWeight: 'first' },
  Shape: { constantFold: true },
  Size: { constantFold: true },
  ConstantOfShape: { constantFold: true },
  Equal: { constantFold: true },
  Not: { constantFold: true },
});
