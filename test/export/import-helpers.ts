/**
 * Shared by the import tests: proto builders for hand-made models, a recursive node count, and
 * the bit-identity check (the same ORT outputs, byte for byte, for a model and its round trip).
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { expect } from 'vitest';

const { onnx } = onnxProto;
export { onnx };
export type IGraph = onnxProto.onnx.IGraphProto;
export type INode = onnxProto.onnx.INodeProto;
export type ITensor = onnxProto.onnx.ITensorProto;
export const AT = onnx.AttributeProto.AttributeType;
export const DT = onnx.TensorProto.DataType;

export function vi(name: string, elemType: number, dims?: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } } };
}

export function raw(name: string, dataType: number, dims: number[], data: ArrayBufferView): ITensor {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}

export function node(opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = [], domain = ''): INode {
  return { name: `${opType}_${output[0]}`, opType, domain, input, output, attribute };
}

export function modelBytes(graph: IGraph, opsets: { domain: string; version: number }[] = [{ domain: '', version: 17 }], extra: Partial<onnxProto.onnx.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'test', opsetImport: opsets, graph, ...extra })).finish();
}

/** Nodes of a model at every depth (subgraphs included). */
export function countNodes(bytes: Uint8Array): number {
  const count = (g: IGraph | null | undefined): number =>
    (g?.node ?? []).reduce((s, n) => s + 1 + (n.attribute ?? []).reduce((t, a) => t + count(a.g) + (a.graphs ?? []).reduce((u, x) => u + count(x), 0), 0), 0);
  return count(onnx.ModelProto.decode(bytes).graph);
}

type Feeds = Record<string, ort.Tensor>;

/** Runs both models on the same feeds and expects every output equal byte for byte (strings: element for element). */
export async function expectSameOutputs(original: Uint8Array | string, roundTrip: Uint8Array, feeds: Feeds): Promise<void> {
  const a = await ort.InferenceSession.create(original as Uint8Array);
  const b = await ort.InferenceSession.create(roundTrip);
  expect(b.inputNames).toEqual(a.inputNames);
  expect(b.outputNames).toEqual(a.outputNames);
  const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
  for (const name of a.outputNames) {
    expect(rb[name].type).toBe(ra[name].type);
    expect(rb[name].dims).toEqual(ra[name].dims);
    const da = ra[name].data;
    const db = rb[name].data;
    if (Array.isArray(da)) expect(db).toEqual(da);
    else {
      const va = da as ArrayBufferView;
      const vb = db as ArrayBufferView;
      expect(Buffer.from(vb.buffer, vb.byteOffset, vb.byteLength).equals(Buffer.from(va.buffer, va.byteOffset, va.byteLength))).toBe(true);
    }
  }
  await a.release();
  await b.release();
}
