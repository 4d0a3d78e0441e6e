/**
 * Ops of dynamic quantization and float16: DynamicQuantizeLinear, ConvInteger, MatMulInteger, Cast.
 */
import type { OpDef } from './op.ts';

export const DYNAMIC_QUANT_OPS: OpDef<any>[] = [];
