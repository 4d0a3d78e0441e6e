/**
 * The pass contract (src/export/passes/pass.ts): how notes print, which of them a row's kept_fp32
 * lists; and the shared unused-initializer helper of graph-util.ts.
 */
import { describe, expect, it } from 'vitest';
import { withoutUnusedInitializers } from '../../src/export/passes/graph-util.ts';
import { changedNote, formatNote, keptLines, keptNote } from '../../src/export/passes/pass.ts';
import type { Graph, Tensor } from '../../src/graph/ir.ts';

describe('pass notes', () => {
  it('print as "name (OpType): why", and keptLines lists only the nodes left alone, in order', () => {
    const notes = [
      keptNote({ name: 'mel/sub_mean', opType: 'Sub' }, 'no quantized form'),
      changedNote({ name: 'relu', opType: 'Relu' }, 'fused into the output range of conv1 (Conv)'),
      keptNote({ name: 'probs', opType: 'Softmax' }, 'no quantized form'),
    ];
    expect(notes[1]).toEqual({ node: 'relu', op: 'Relu', kind: 'changed', why: 'fused into the output range of conv1 (Conv)' });
    expect(notes.map(formatNote)).toEqual(['mel/sub_mean (Sub): no quantized form', 'relu (Relu): fused into the output range of conv1 (Conv)', 'probs (Softmax): no quantized form']);
    expect(keptLines(notes)).toEqual(['mel/sub_mean (Sub): no quantized form', 'probs (Softmax): no quantized form']);
  });
});

describe('withoutUnusedInitializers', () => {
  const t = (name: string): Tensor => ({ name, dtype: 'float32', dims: [1], data: Float32Array.of(1) });
  const g: Graph = {
    name: 'g',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
    outputs: [
      { name: 'y', dtype: 'float32', shape: [1] },
      { name: 'c', dtype: 'float32', shape: [1] },
    ],
    nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'a'], outputs: ['y'], attrs: {} }],
    initializers: [t('a'), t('unread'), t('c'), t('stale')],
    valueInfo: [],
    opset: 17,
    metadata: {},
  };

  it('drops initializers that no node reads, keeping graph outputs and the order of the rest', () => {
    expect(withoutUnusedInitializers(g).initializers.map((x) => x.name)).toEqual(['a', 'c']);
  });

  it('with `among`, drops only unread initializers of that set', () => {
    expect(withoutUnusedInitializers(g, new Set(['stale', 'a'])).initializers.map((x) => x.name)).toEqual(['a', 'unread', 'c']);
  });
});
