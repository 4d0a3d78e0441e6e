/**
 * A one-node ONNX model (y = Relu(x), x: float32[4], opset 17), encoded by hand so availability
 * checks can prove a runtime really executes a graph without depending on src/export or on files.
 *
 * Protobuf wire format: each field is a varint key (field << 3 | wire type) then a varint
 * (type 0) or a length-prefixed payload (type 2). Field numbers are those of onnx.proto.
 */
const VARINT = 0;
const BYTES = 2;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function field(num: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint((num << 3) | VARINT), ...varint(value)];
  const payload = typeof value === 'string' ? [...new TextEncoder().encode(value)] : value;
  return [...varint((num << 3) | BYTES), ...varint(payload.length), ...payload];
}

function valueInfo(name: string): number[] {
  const dim = field(1, 4); // Dimension.dim_value
  const shape = field(1, dim); // TensorShapeProto.dim
  const tensorType = [...field(1, 1), ...field(2, shape)]; // elem_type FLOAT, shape
  return [...field(1, name), ...field(2, field(1, tensorType))]; // name, type.tensor_type
}

export const PROBE_INPUT = new Float32Array([-1, 0, 1, 2]);
export const PROBE_EXPECTED = [0, 0, 1, 2];

export function probeModel(): Uint8Array {
  const node = [...field(1, 'x'), ...field(2, 'y'), ...field(3, 'relu'), ...field(4, 'Relu')];
  const graph = [...field(1, node), ...field(2, 'probe'), ...field(11, valueInfo('x')), ...field(12, valueInfo('y'))];
  const opset = [...field(1, ''), ...field(2, 17)];
  return new Uint8Array([...field(1, 8), ...field(7, graph), ...field(8, opset)]);
}
