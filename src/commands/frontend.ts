/**
 * `melbench frontend --preset <name> -o frontend.onnx`: the feature frontend of a preset as an ONNX
 * graph (src/features/onnx-frontend.ts), audio [N, S] (or [N, C, S]) -> features [N, C', R, T], so
 * that any ONNX runtime can compute melbench's features, or benchmark doing so.
 * `melbench bench fe.onnx --input audio=<wav>` times it on a recording (docs/models.md, "Benchmark your own
 * model"); benchmarks/frontend-onnx.ts compares it with the TypeScript frontend.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { EXIT, UserError } from '../errors.ts';
import { countMacs } from '../export/cost.ts';
import { toOnnx } from '../export/onnx.ts';
import { buildFrontendGraph } from '../features/onnx-frontend.ts';
import { getPreset, PRESET_NAMES, samplesFor } from '../features/presets.ts';
import { inferShapes } from '../graph/infer.ts';
import type { RegisterCommand } from './command.ts';
import { positiveInt } from './options.ts';

function samplesOption(v: string): number | 'any' {
  if (v === 'any') return 'any';
  try {
    return positiveInt('--samples')(v);
  } catch {
    throw new InvalidArgumentError(`--samples must be a positive integer or 'any', got '${v}'`);
  }
}

interface FrontendOptions {
  preset: string;
  out: string;
  samples?: number | 'any';
  channels?: number;
}

export const register: RegisterCommand = (program) => {
  program
    .command('frontend')
    .description('write a preset\'s feature frontend (STFT, mel, dB, MFCC, deltas) as an ONNX graph from audio to features')
    .option('-p, --preset <name>', `feature preset (${PRESET_NAMES.join(', ')})`, 'default')
    .requiredOption('-o, --out <file>', 'output .onnx path')
    .option('--samples <n|any>', "samples per clip, or 'any' for a symbolic length (default: the preset's clip)", samplesOption)
    .option('--channels <n>', "input channels, for a preset that keeps the file's channels", positiveInt('--channels'))
    .action((o: FrontendOptions) => {
      const preset = getPreset(o.preset);
      const graph = buildFrontendGraph(preset, { samples: o.samples, channels: o.channels });
      const bytes = toOnnx(graph);
      try {
        writeFileSync(o.out, bytes);
      } catch (e) {
        throw new UserError(`cannot write ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable path`, EXIT.output);
      }
      const [input] = graph.inputs;
      const [output] = graph.outputs;
      const clip = o.samples === 'any' || o.samples === undefined ? samplesFor(preset, preset.clipSeconds) : o.samples;
      const bound = inferShapes({ ...graph, inputs: [{ ...input, shape: input.shape.map((d) => (d === 'N' ? 1 : typeof d === 'number' ? d : clip)) }] });
      process.stdout.write(
        `${o.out}: frontend of preset ${preset.name}, ${input.name} [${input.shape.join(', ')}] -> ${output.name} [${output.shape.join(', ')}], ` +
          `${(countMacs(bound) / 1e6).toFixed(1)} M MACs per ${clip}-sample clip, ${bytes.length.toLocaleString('en')} bytes\n`,
      );
    });
};
