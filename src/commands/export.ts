/**
 * `melbench export <model> -o file.onnx`: a zoo model built for its preset's input, as ONNX.
 */
import { writeFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { prepareModel } from '../sweep/models.ts';
import type { RegisterCommand } from './command.ts';
import { nonNegativeInt, positiveInt } from './options.ts';

export const register: RegisterCommand = (program) => {
  program
    .command('export')
    .description('write a zoo model as an ONNX file (opset 17)')
    .argument('<model>', "zoo model name (see 'melbench models')")
    .requiredOption('-o, --out <file>', 'output .onnx path')
    .option('--preset <name>', "features preset that fixes the input shape (default: the model's own)")
    .option('--classes <n>', 'number of classes', positiveInt('--classes'), 10)
    .option('--seed <n>', 'weight initialisation seed', nonNegativeInt('--seed'), 1)
    .action((model: string, o: { out: string; preset?: string; classes: number; seed: number }) => {
      const m = prepareModel({ spec: model, preset: o.preset, classes: o.classes, seed: o.seed });
      try {
        writeFileSync(o.out, m.bytes);
      } catch (e) {
        throw new UserError(`cannot write ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable path`, EXIT.output);
      }
      const input = m.graph.inputs[0];
      process.stdout.write(
        `${o.out}: ${m.name}, input ${input.name} [${input.shape.join(', ')}], ${m.cost.params.toLocaleString('en')} params, ` +
          `${(m.cost.macs / 1e6).toFixed(1)} M MACs, ${m.cost.bytes.toLocaleString('en')} bytes\n`,
      );
    });
};
