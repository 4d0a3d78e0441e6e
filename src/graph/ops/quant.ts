/**
 * Quantization ops of static quantization: QuantizeLinear / DequantizeLinear (QDQ format) and the
 * QOperator ops (QLinearConv, QLinearMatMul, and com.microsoft's QLinear* where no standard op exists).
 */
import type { OpDef } from './op.ts';

export const QUANT_OPS: OpDef<any>[] = [];
