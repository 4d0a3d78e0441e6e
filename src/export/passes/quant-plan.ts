/**
 * The options of static quantization and the plan it takes from them: which nodes run quantized,
 * with which activation parameters and integer weights. quantize-static.ts computes the plan
 * (a pure function of the graph, the ranges and the options); the QDQ emitter (quantize-static.ts)
 * and the QOperator emitter (quantize-qoperator.ts) only read it. Types only, so that neither
 * emitter has to import the other's module.
 */
import type { Graph } from '../../graph/ir.ts';
import type { QuantKind } from '../../graph/ops/op.ts';
import type { PassNote } from './pass.ts';
import type { QuantDType, QuantizedWeight, QuantParams } from './quant-params.ts';

export interface QuantizeStaticOptions {
  /** 'qdq' (default): QuantizeLinear/DequantizeLinear pairs; 'qoperator': QLinearConv and friends. */
  format?: 'qdq' | 'qoperator';
  /** Activation type (default 'uint8'; 'int8' gives ORT's "s8s8"). */
  activations?: QuantDType;
  /** Weight granularity (default 'per-channel'). Weights are always symmetric int8. */
  weights?: 'per-channel' | 'per-tensor';
  /** Symmetric activations (z = 0 for int8, 128 for uint8); default false. */
  symmetric?: boolean;
  /** Node names to keep in fp32 (e.g. the first conv and the classifier). */
  exclude?: string[];
  /** Integer graph input and output, with their parameters in the metadata. */
  fullInt?: boolean;
  /** With fullInt: give the input the uncalibrated range [-1, 1] (see quantize-static.ts: it breaks models). */
  naiveInputScale?: boolean;
  /**
   * 7-bit weights in [-64, 64] (default true). ORT's x86 AVX2 u8s8 kernels (VPMADDUBSW) add pairs
   * of u8*s8 products in saturating int16: 2 * 255 * 127 overflows, 2 * 255 * 64 does not. With
   * full 8-bit weights a trained model's accuracy collapses on an AVX2 CPU without VNNI while the
   * same graph run unfused in float keeps it; 7-bit weights lose almost nothing (docs/results.md's
   * static-quantization findings give the measured figures).
   * Set false only for runtimes without the issue (VNNI, ARM): the bytes then differ per target.
   */
  reduceRange?: boolean;
  /** Quantize a model whose metadata does not say trained=true (tests). */
  allowUntrained?: boolean;
}

/** How a quantized node computes: each op's `staticQuant` trait (src/graph/ops/op.ts). */
export type { QuantKind };

/** A quantized node's int8 weight and, when it has one, its int32 bias at scale s_x * s_w. */
export interface PlannedWeight extends QuantizedWeight {
  bias?: { q: Int32Array; scale: Float32Array };
}

/** The decisions both formats share, taken on the graph with activations fused. */
export interface QuantPlan {
  /** The float graph with fused Relu/Clip removed (their producers write their output names). */
  graph: Graph;
  kinds: Map<string, QuantKind>;
  /** Parameters of every quantized activation, by value name. */
  params: Map<string, QuantParams>;
  weights: Map<string, PlannedWeight>;
  /** Gemm nodes whose output stays float (no quantized reader). */
  floatOutput: Set<string>;
  /** Nodes left in float and why, and the Relu/Clip nodes fused into their producer (pass.ts). */
  notes: PassNote[];
  /** With fullInt: parameters of the graph input and output. */
  io?: { input: QuantParams; output: QuantParams };
}
