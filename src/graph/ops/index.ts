/**
 * The op registry: every OpDef, looked up by (domain, opType). Registering the same op twice is a
 * bug. Nothing under ops/ imports this module: op definitions stay leaves, the registry their root.
 */
import { EXIT, invariant, UserError } from '../../errors.ts';
import type { Node } from '../ir.ts';
import { BatchNormalization } from './batchnorm.ts';
import { Conv, ConvTranspose } from './conv.ts';
import * as elementwise from './elementwise.ts';
import { Gemm, MatMul } from './gemm.ts';
import { Concat, Expand, Flatten, Reshape, Slice, Transpose } from './data-movement.ts';
import { And, Greater, Less, Where } from './logic.ts';
import { Max, Min } from './minmax.ts';
import type { OpDef, OpTraits } from './op.ts';
import { OPAQUE_TRAITS } from './opaque-traits.ts';
import { Pad } from './pad.ts';
import { QUANT_OPS } from './quant.ts';
import { DYNAMIC_QUANT_OPS } from './quant-dynamic.ts';
import { AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool } from './pool.ts';
import { ReduceMax, ReduceMean, ReduceSum } from './reduce.ts';
import { ScatterElements } from './scatter.ts';
import { Squeeze } from './squeeze.ts';
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
  Squeeze,
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
const NO_TRAITS: OpTraits = Object.freeze({});

/**
 * Adds an op. Everything melbench knows about it is in `def`: its shape and gradient rules and its
 * traits, which the passes read through `traitsOf`.
 */
export function registerOp(def: OpDef<any>): void {
  const key = `${def.domain}::${def.opType}`;
  invariant(!REGISTRY.has(key), () => `duplicate OpDef for ${def.opType} in domain '${def.domain}'`);
  REGISTRY.set(key, def);
}

for (const def of ALL) registerOp(def);

/** The OpDef of an op, or undefined when melbench does not model it. */
export function findOp(opType: string, domain = ''): OpDef<any> | undefined {
  return REGISTRY.get(`${domain}::${opType}`);
}

/**
 * The traits of a node's op: its OpDef's; for an op with no OpDef, those of opaque-traits.ts (the
 * recurrent ops' weights and MACs); empty otherwise.
 */
export function traitsOf(node: Pick<Node, 'opType' | 'domain'>): OpTraits {
  const def = findOp(node.opType, node.domain);
  if (def) return def.traits ?? NO_TRAITS;
  return (node.domain === '' && Object.hasOwn(OPAQUE_TRAITS, node.opType) ? OPAQUE_TRAITS[node.opType] : undefined) ?? NO_TRAITS;
}

export function getOp(opType: string, domain = ''): OpDef<any> {
  const def = findOp(opType, domain);
  if (!def) {
    const op = `${domain ? `${domain}.` : ''}${opType}`;
    const supported = [...REGISTRY.values()].map((d) => d.opType).join(', ');
    // A model melbench cannot use (exit 4), not a usage error (docs/reference.md, exit codes).
    throw new UserError(`op ${op} is not supported by melbench's IR, so this model cannot be used: re-export it with only supported ops (supported: ${supported})`, EXIT.badModel);
  }
  return def;
}

/** Every registered OpDef, in registration order. */
export function registeredOps(): OpDef<any>[] {
  return [...REGISTRY.values()];
}

export function supportedOps(): string[] {
  return [...REGISTRY.values()].map((d) => d.opType);
}
