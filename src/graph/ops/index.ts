/**
 * The op registry: every OpDef, looked up by (domain, opType). Registering the same op twice throws.
 */
import { UserError } from '../../errors.ts';
import { BatchNormalization } from './batchnorm.ts';
import { Conv, ConvTranspose } from './conv.ts';
import * as elementwise from './elementwise.ts';
import { Gemm, MatMul } from './gemm.ts';
import { Concat, Expand, Flatten, Reshape, Slice, Transpose } from './layout.ts';
import { And, Greater, Less, Where } from './logic.ts';
import { Max, Min } from './minmax.ts';
import type { OpDef } from './op.ts';
import { Pad } from './pad.ts';
import { QUANT_OPS } from './quant.ts';
import { DYNAMIC_QUANT_OPS } from './quant-dynamic.ts';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool } from './pool.ts';
import { ReduceMax, ReduceMean, ReduceSum } from './reduce.ts';
import { ScatterElements } from './scatter.ts';
import { Unsqueeze } from './unsqueeze.ts';

const ALL: OpDef<any>[] = [
  Conv,
  ConvTranspose,
  Slice,
  Expand,
  Greater,
  Less,
  And,
  Where,
  ScatterElements,
  BatchNormalization,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  GlobalMaxPool,
  Gemm,
  MatMul,
  Flatten,
  Reshape,
  Concat,
  Transpose,
  Unsqueeze,
  Pad,
  Max,
  Min,
  ReduceMax,
  ReduceMean,
  ReduceSum,
  ...Object.values(elementwise),
  ...QUANT_OPS,
  ...DYNAMIC_QUANT_OPS,
];

const REGISTRY = new Map<string, OpDef<any>>();
for (const def of ALL) {
  const key = `${def.domain}::${def.opType}`;
  if (REGISTRY.has(key)) throw new Error(`duplicate OpDef for ${def.opType} in domain '${def.domain}'`);
  REGISTRY.set(key, def);
}

export function getOp(opType: string, domain = ''): OpDef<any> {
  const def = REGISTRY.get(`${domain}::${opType}`);
  if (!def) throw new UserError(`op ${domain ? `${domain}.` : ''}${opType} is not supported by melbench's IR (supported: ${[...REGISTRY.values()].map((d) => d.opType).join(', ')})`);
  return def;
}

export function supportedOps(): string[] {
  return [...REGISTRY.values()].map((d) => d.opType);
}
