/**
 * Emission helpers that both formats of static quantization share (the QDQ emitter in
 * quantize-static.ts, the QOperator emitter in quantize-qoperator.ts): scale and zero-point
 * initializers, QuantizeLinear / DequantizeLinear nodes, and the metadata a quantized model
 * carries. They only build new tensors, nodes and records; the plan they are given is read, never
 * written.
 */
import type { Node, Tensor } from '../../graph/ir.ts';
import { ioKeys, META } from '../../graph/metadata-keys.ts';
import { toAttrs } from '../../graph/ops/attrs.ts';
import { DequantizeLinear, QuantizeLinear } from '../../graph/ops/quant.ts';
import type { QuantParams } from './quant-params.ts';
import type { QuantizeStaticOptions, QuantPlan } from './quant-plan.ts';

/** The scale (float32) and zero point (of the quantized type) of `p` as initializers; [C] when per channel, scalars otherwise. */
export function paramTensors(p: QuantParams, base: string, fresh: (b: string) => string): { scale: Tensor; zeroPoint: Tensor } {
  const dims = p.axis === undefined ? [] : [p.scale.length];
  const zp = p.dtype === 'int8' ? Int8Array.from(p.zeroPoint) : Uint8Array.from(p.zeroPoint);
  return { scale: { name: fresh(`${base}_scale`), dtype: 'float32', dims, data: p.scale }, zeroPoint: { name: fresh(`${base}_zero_point`), dtype: p.dtype, dims, data: zp } };
}

/** A Q or DQ node; without `z` the zero point is omitted, which ONNX defines as 0 of x's type. */
export function qdqNode(opType: 'QuantizeLinear' | 'DequantizeLinear', name: string, x: string, s: Tensor, z: Tensor | undefined, y: string, axis?: number): Node {
  return { name, opType, domain: '', inputs: z ? [x, s.name, z.name] : [x, s.name], outputs: [y], attrs: toAttrs((opType === 'QuantizeLinear' ? QuantizeLinear : DequantizeLinear).attrs, { axis }) };
}

/** Metadata of a full-int graph: how callers quantize the input and read the output. */
export function ioMetadata(io: NonNullable<QuantPlan['io']>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [side, p] of [['input', io.input], ['output', io.output]] as const) {
    const k = ioKeys(side);
    out[k.scale] = String(p.scale[0]);
    out[k.zeroPoint] = String(p.zeroPoint[0]);
    out[k.dtype] = p.dtype;
  }
  return out;
}

/** Metadata of a statically quantized graph: the options that decided its bytes. */
export function quantMetadata(o: QuantizeStaticOptions): Record<string, string> {
  return {
    [META.quantActivations]: o.activations ?? 'uint8',
    [META.quantWeights]: `int8 ${o.weights ?? 'per-channel'}`,
    [META.quantSymmetric]: String(o.symmetric ?? false),
    [META.quantWeightBits]: o.reduceRange === false ? '8' : '7',
    ...(o.fullInt ? { [META.quantFullInt]: 'true', [META.quantInputRange]: o.naiveInputScale ? 'naive [-1, 1]' : 'calibrated' } : {}),
  };
}
