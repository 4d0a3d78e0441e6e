/**
 * What a compressed model's graph input and output are, when they are not float32: full-int
 * models take and give int8/uint8, and fp16 models without float32 I/O take and give float16.
 * The sweep encodes the same float32 features for such a model, and decodes its outputs before
 * comparing them with the fp32 reference or scoring them.
 *
 *   encode  q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax)   (ONNX QuantizeLinear)
 *   decode  x = (q - zero_point) * scale                                      (DequantizeLinear)
 *
 * The scale and zero point come from the model's own metadata (`input_scale`,
 * `input_zero_point`, `output_scale`, `output_zero_point`, written by the full-int quantizer), so
 * a full-int .onnx file from disk carries what its callers need.
 */
import { EXIT, UserError } from '../errors.ts';
import { fromHalfArray, toHalfArray } from '../export/passes/fp16-bits.ts';
import { roundHalfEven } from '../export/passes/quant-params.ts';
import type { Graph } from '../graph/ir.ts';
import { ioKeys } from '../graph/metadata-keys.ts';
import type { HostTensor } from '../runners/runner.ts';

export interface TensorCodec {
  type: 'int8' | 'uint8' | 'float16';
  /** Quantization step, for int8/uint8. */
  scale?: number;
  zeroPoint?: number;
}

export interface ModelIo {
  input?: TensorCodec;
  output?: TensorCodec;
}

const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

interface TypedValue {
  name: string;
  dtype?: string;
}

function codecOf(value: TypedValue | undefined, metadata: Record<string, string>, side: 'input' | 'output'): TensorCodec | undefined {
  if (!value || value.dtype === 'float32') return undefined;
  if (value.dtype === 'float16') return { type: 'float16' };
  if (value.dtype !== 'int8' && value.dtype !== 'uint8') {
    throw new UserError(`model ${side} '${value.name}' is ${value.dtype}; melbench feeds float32 log-mel features (or int8/uint8/float16 encodings of them)`, EXIT.badModel);
  }
  const keys = ioKeys(side);
  const scale = Number(metadata[keys.scale]);
  const zeroPoint = Number(metadata[keys.zeroPoint] ?? 0);
  if (!(scale > 0) || !Number.isInteger(zeroPoint)) {
    throw new UserError(
      `model ${side} '${value.name}' is ${value.dtype} but the model has no valid '${keys.scale}'/'${keys.zeroPoint}' metadata; quantize it with 'melbench ablate' or add them`,
      EXIT.badModel,
    );
  }
  return { type: value.dtype, scale, zeroPoint };
}

/** The encodings of a model's first input and first output, from its types and metadata. */
export function modelIo(g: Graph): ModelIo {
  const io: ModelIo = {};
  const input = codecOf(g.inputs[0], g.metadata, 'input');
  const output = codecOf(g.outputs[0], g.metadata, 'output');
  if (input) io.input = input;
  if (output) io.output = output;
  return io;
}

/**
 * The encodings of a model read from its signature (src/export/signature.ts), for a file that
 * may have any input types: only an int8/uint8 input or output with valid scale metadata, or a
 * float16 one, gets a codec; any other type is left to the feeds (src/sweep/feeds.ts) as it is.
 */
export function signatureIo(sig: { inputs: readonly TypedValue[]; outputs: readonly TypedValue[]; metadata: Record<string, string> }): ModelIo {
  const io: ModelIo = {};
  for (const side of ['input', 'output'] as const) {
    const v = (side === 'input' ? sig.inputs : sig.outputs)[0];
    if (!v || !(v.dtype === 'float16' || v.dtype === 'int8' || v.dtype === 'uint8')) continue;
    if (v.dtype !== 'float16' && !(Number(sig.metadata[ioKeys(side).scale]) > 0)) continue;
    const c = codecOf(v, sig.metadata, side);
    if (c) io[side] = c;
  }
  return io;
}

/** float32 features as the model's input type. */
export function encode(t: HostTensor, c: TensorCodec | undefined): HostTensor {
  if (!c) return t;
  const x = t.data as Float32Array;
  if (c.type === 'float16') return { type: 'float16', data: toHalfArray(x), dims: t.dims };
  const [lo, hi] = RANGE[c.type];
  const q = c.type === 'int8' ? new Int8Array(x.length) : new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) q[i] = Math.min(hi, Math.max(lo, roundHalfEven(x[i] / c.scale!) + c.zeroPoint!));
  return { type: c.type, data: q, dims: t.dims };
}

/** A model output back to float32 scores. */
export function decode(t: HostTensor, c: TensorCodec | undefined): HostTensor {
  if (!c || t.type === 'float32') return t;
  if (c.type === 'float16') return { type: 'float32', data: fromHalfArray(t.data as Uint16Array), dims: t.dims };
  const q = t.data as Int8Array | Uint8Array;
  const x = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) x[i] = (q[i] - c.zeroPoint!) * c.scale!;
  return { type: 'float32', data: x, dims: t.dims };
}

/** Decodes the first output of a run's results; other outputs pass through. */
export function decodeOutputs(outputs: Record<string, HostTensor>, outputName: string, c: TensorCodec | undefined): Record<string, HostTensor> {
  if (!c || !outputs[outputName]) return outputs;
  return { ...outputs, [outputName]: decode(outputs[outputName], c) };
}
