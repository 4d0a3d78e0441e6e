/**
 * melbench's own reader checks the external-data location of every tensor before anything reads
 * it: a Constant node's tensor and a tensor inside an If branch, not only the main graph's
 * initializers (a location outside the model's folder is refused, exit 3, before onnxruntime sees it).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { melbenchInProcess as melbench } from '../cli/run-in-process.ts';

const { onnx } = onnxProto;

const external = (name: string, location: string) =>
  onnx.TensorProto.create({ name, dims: [1, 4], dataType: 1, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [onnx.StringStringEntryProto.create({ key: 'location', value: location })] });

const value = (name: string) => onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: 1, shape: onnx.TensorShapeProto.create({ dim: [{ dimValue: 1 }, { dimValue: 4 }] }) }) }) });

function model(nodes: onnxProto.onnx.INodeProto[], inputs = ['x']): Uint8Array {
  const graph = onnx.GraphProto.create({ name: 'g', node: nodes, input: inputs.map(value), output: [value('y')] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

const attr = (name: string, a: Partial<onnxProto.onnx.IAttributeProto>) => onnx.AttributeProto.create({ name, ...a });

describe('external data outside the model folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'melbench-extdata-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'outside.bin'), new Uint8Array(16));

  const cases: [string, Uint8Array][] = [
    ['a Constant node', model([onnx.NodeProto.create({ opType: 'Constant', output: ['c'], attribute: [attr('value', { type: 4, t: external('c', '../outside.bin') })] }), onnx.NodeProto.create({ opType: 'Add', input: ['x', 'c'], output: ['y'] })])],
    [
      'an If branch',
      model(
        [
          onnx.NodeProto.create({ opType: 'Constant', output: ['cond'], attribute: [attr('value', { type: 4, t: onnx.TensorProto.create({ name: 'cond', dims: [], dataType: 9, int32Data: [1] }) })] }),
          onnx.NodeProto.create({
            opType: 'If',
            input: ['cond'],
            output: ['y'],
            attribute: [
              attr('then_branch', { type: 5, g: onnx.GraphProto.create({ name: 't', node: [onnx.NodeProto.create({ opType: 'Add', input: ['x', 'w'], output: ['ty'] })], initializer: [external('w', '../outside.bin')], output: [value('ty')] }) }),
              attr('else_branch', { type: 5, g: onnx.GraphProto.create({ name: 'e', node: [onnx.NodeProto.create({ opType: 'Identity', input: ['x'], output: ['ey'] })], output: [value('ey')] }) }),
            ],
          }),
        ],
      ),
    ],
  ];
  for (const [where, bytes] of cases) {
    it(`in ${where}: bench refuses it before any read (exit 3, one line)`, async () => {
      const path = join(dir, 'models', `${where.replace(/ /g, '-')}.onnx`);
      writeFileSync(path, bytes);
      const r = await melbench('bench', path, '--runtimes', 'cpu', '--no-isolate', '--no-report', '-o', join(dir, `${where.length}.csv`));
      expect(r.code, r.stderr).toBe(EXIT.badInput);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^melbench: error: .*: external data location '\.\.\/outside\.bin' is outside the model's folder; melbench reads only files beside the model$/);
    });
  }
});
