/**
 * The contract every pass in this folder keeps: `(graph, options) => PassResult`, the new graph
 * plus notes. A note names one node (or, for channel pruning, one channel group), its op type,
 * and in words why the pass left it alone or what it did to it, after onnxscript's `PassResult`
 * and the reason a rewrite rule gives with `MatchResult.fail` (../shared/STYLE.md, section 3).
 * Passes are pure: the graph they were given is never mutated.
 *
 * Every command prints notes the same way, one line each, with `formatNote`:
 *   probs (Softmax): no quantized form
 */
import type { Graph, Node } from '../../graph/ir.ts';

export interface PassNote {
  /** The node's name (a channel group's name for channel pruning). */
  node: string;
  /** Its op type. */
  op: string;
  /** 'kept': the pass left the node as it was; 'changed': it rewrote, fused or removed it. */
  kind: 'kept' | 'changed';
  /** Why it was left alone, or what was done to it. */
  why: string;
}

export interface PassResult {
  graph: Graph;
  notes: PassNote[];
}

type Named = Pick<Node, 'name' | 'opType'>;

/** A note for a node the pass left alone, saying why. */
export function keptNote(n: Named, why: string): PassNote {
  return { node: n.name, op: n.opType, kind: 'kept', why };
}

/** A note for a node the pass rewrote, saying what it did. */
export function changedNote(n: Named, what: string): PassNote {
  return { node: n.name, op: n.opType, kind: 'changed', why: what };
}

/** One line: "name (OpType): why". */
export function formatNote(n: PassNote): string {
  return `${n.node} (${n.op}): ${n.why}`;
}

/** The nodes a pass left alone, one line each (a precision pass: the nodes left in float32). */
export function keptLines(notes: readonly PassNote[]): string[] {
  return notes.filter((n) => n.kind === 'kept').map(formatNote);
}
