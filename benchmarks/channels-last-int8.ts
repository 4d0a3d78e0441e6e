/**
 * Issue 12, done-when 3, as a benchmark: static int8 of an imported channels-last CNN, its size
 * and latency against fp32 on cpu and wasm.
 *
 * Writes the trained channels-last CNN of test/ablate/channels-last-fixture.ts (the zoo ResNet
 * trained on synthetic 16x16 features, NHWC input through a Transpose, BN unfolded, no melbench
 * metadata) to reports/channels-last/nhwc-cnn.onnx with its .npy samples, then runs
 *   melbench ablate --suite quant --calibrations minmax --models reports/channels-last/nhwc-cnn.onnx
 *     --calib reports/channels-last/samples --runtimes cpu,wasm
 * Extra arguments are passed on (e.g. --runtimes cpu). The table's `agree` and `SNR dB` are the
 * fidelity to the fp32 file over the 100 held-out samples; `× fp32` is the latency ratio.
 *
 *   npx tsx benchmarks/channels-last-int8.ts
 */
import { main } from '../src/cli.ts';
import { makeChannelsLastCnn } from '../test/ablate/channels-last-fixture.ts';

async function run(): Promise<void> {
  const { model, samples } = await makeChannelsLastCnn('reports/channels-last');
  process.stderr.write(`wrote ${model} and ${samples}/ (300 calibration, 100 evaluation samples)\n`);
  const args = ['ablate', '--suite', 'quant', '--calibrations', 'minmax', '--models', model, '--calib', samples, '--runtimes', 'cpu,wasm', '--no-report', ...process.argv.slice(2)];
  process.exitCode = await main(args);
}

void run();
