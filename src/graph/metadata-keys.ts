/**
 * The model metadata keys melbench writes into a graph (ONNX `metadata_props`) and reads back:
 * one module defines them, so a writer and its readers can never drift apart.
 *
 * Values are strings, as in ONNX. The full-int I/O keys come in two sides: `input_*` and
 * `output_*` (see `ioKeys`).
 */
export const META = {
  /** Provenance of a zoo model. */
  zoo: 'zoo',
  source: 'source',
  preset: 'preset',
  seed: 'seed',
  dataset: 'dataset',
  /** 'true' on a model trained by melbench: quantizers refuse anything else unless told. */
  trained: 'trained',
  valMacroF1: 'val_macro_f1',
  testMacroF1: 'test_macro_f1',
  fineTuned: 'fine_tuned',
  /** The training features' mean and std, which the graph's first nodes standardise with. */
  inputMean: 'input_mean',
  inputStd: 'input_std',
  precision: 'precision',
  float16KeepIo: 'float16_keep_io',
  quantization: 'quantization',
  quantPerChannel: 'quant_per_channel',
  quantWeightType: 'quant_weight_type',
  quantActivations: 'quant_activations',
  quantWeights: 'quant_weights',
  quantSymmetric: 'quant_symmetric',
  quantWeightBits: 'quant_weight_bits',
  quantFullInt: 'quant_full_int',
  quantInputRange: 'quant_input_range',
  /** An imported model whose Constant nodes and constant-only chains became initializers (src/export/passes/lift-constants.ts). */
  normalized: 'normalized',
} as const;

export type MetaKey = (typeof META)[keyof typeof META];

/** Keys of a full-int graph's input or output encoding: q = clamp(round_half_even(x / scale) + zero_point). */
export function ioKeys(side: 'input' | 'output'): { scale: string; zeroPoint: string; dtype: string } {
  return { scale: `${side}_scale`, zeroPoint: `${side}_zero_point`, dtype: `${side}_dtype` };
}
