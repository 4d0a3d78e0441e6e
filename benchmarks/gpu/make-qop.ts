/**
 * Writes the QOperator int8 model of test/runners/profile-bench.test.ts (test/fixtures/
 * qoperator-model.ts) for benchmarks/gpu/run.sh: on WebGPU its integer kernels fall back to the
 * CPU provider, which the profile must show node by node.
 *
 *   npx tsx benchmarks/gpu/make-qop.ts [out.onnx]
 */
import { writeFileSync } from 'node:fs';
import { qoperatorModel } from '../../test/fixtures/qoperator-model.ts';

writeFileSync(process.argv[2] ?? '.gpu/qop.onnx', await qoperatorModel());
