/** The wire-format tree and length-fixing splice the import fuzz builds its mutations on. */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { onnxFixture } from '../fixtures/onnx-models.ts';
import { allFields, encodeVarint, parseFields, splice } from './protobuf-wire.ts';

const { onnx } = onnxProto;

describe('protobuf wire tree', () => {
  const bytes = onnxFixture('if-outer').bytes;
  const fields = parseFields(bytes)!;

  it('encodes varints as protobuf does', () => {
    expect(Array.from(encodeVarint(0))).toEqual([0]);
    expect(Array.from(encodeVarint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(encodeVarint(2 ** 32))).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
  });

  it('parses a model into fields that tile the bytes, with the graph and its nodes nested', () => {
    expect(fields[0].start).toBe(0);
    for (let i = 1; i < fields.length; i++) expect(fields[i].start).toBe(fields[i - 1].end);
    expect(fields.at(-1)!.end).toBe(bytes.length);
    // ModelProto.graph is field 7; GraphProto.node is field 1, and this graph has 3 top-level nodes.
    const graph = fields.find((f) => f.fieldNumber === 7)!;
    expect(graph.children!.filter((f) => f.fieldNumber === 1)).toHaveLength(3);
    expect(parseFields(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
  });

  it('drops a nested field and fixes every enclosing length, so the rest decodes unchanged', () => {
    // The else-branch's initializer: model.graph.node[2].attribute[1].g.initializer[0], four levels down.
    const all = allFields(fields);
    const m0 = onnx.ModelProto.decode(bytes);
    const elseInit = all.filter((f) => f.depth === 4 && f.fieldNumber === 5);
    expect(elseInit).toHaveLength(1);
    const f = elseInit[0];
    const out = splice(bytes, fields, f.start, f.end, new Uint8Array(0), true);
    const m = onnx.ModelProto.decode(out);
    expect(m.graph!.node![2].attribute![1].g!.initializer).toHaveLength(0);
    m0.graph!.node![2].attribute![1].g!.initializer = [];
    expect(Buffer.from(onnx.ModelProto.encode(m0).finish()).equals(Buffer.from(out))).toBe(true);
    // Without fixing, the enclosing lengths are stale and the bytes no longer parse to the byte.
    expect(parseFields(splice(bytes, fields, f.start, f.end, new Uint8Array(0), false))).toBeUndefined();
  });
});
