/**
 * Writes every bring-your-own-model test fixture (test/fixtures/onnx-models.ts) as an .onnx file,
 * with its side files (external data), for manual trials of `melbench bench <model.onnx>`:
 *
 *   npx tsx benchmarks/byom-models.ts <dir>
 *
 * Prints one line per model: its path, inputs (name, dtype, declared dims) and the bench flags
 * that feed it.
 */
import { onnxFixtures, writeFixture } from '../test/fixtures/onnx-models.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npx tsx benchmarks/byom-models.ts <dir>');
  process.exit(2);
}
for (const f of onnxFixtures()) {
  const path = writeFixture(dir, f);
  const inputs = f.inputs.map((i) => `${i.name}:${i.dtype}[${i.declared.join(',')}]`).join(' ');
  const flags = f.benchFlags.length ? `  flags: ${f.benchFlags.join(' ')}` : '';
  console.log(`${path}  ${inputs}${flags}`);
}
