/**
 * `melbench models`: the zoo with its source, default input shape, parameters and MACs.
 */
import { getPreset } from '../features/presets.ts';
import { fitTable } from '../report/terminal-table.ts';
import { modelCost } from '../export/cost.ts';
import { toOnnx } from '../export/onnx.ts';
import { ZOO } from '../graph/zoo/index.ts';
import { defaultInput } from '../sweep/inputs.ts';
import type { RegisterCommand } from './command.ts';
import { positiveInt } from './options.ts';

export const register: RegisterCommand = (program) => {
  program
    .command('models')
    .description('list the zoo: source paper, input shape, parameters and MACs')
    .option('--classes <n>', 'number of classes', positiveInt('--classes'), 10)
    .option('--json', 'print JSON instead of a table')
    .action((o: { classes: number; json?: boolean }) => {
      const rows = ZOO.map((e) => {
        const input = defaultInput(getPreset(e.preset));
        const g = e.build({ ...input, classes: o.classes });
        const cost = modelCost(g, toOnnx(g), [1, input.channels, input.mels, input.frames]);
        return {
          name: e.name,
          source: e.source,
          preset: e.preset,
          input: `${input.channels}x${input.mels}x${e.anyLength ? `${input.frames} (any T)` : input.frames}`,
          params: cost.params,
          macs: cost.macs,
          bytes: cost.bytes,
          description: e.description,
        };
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const head = [{ head: 'model' }, { head: 'input CxMxT', drop: 2 }, { head: 'preset', drop: 3 }, { head: 'params' }, { head: 'MACs' }, { head: 'size', drop: 1 }, { head: 'source', wrap: true }];
      const cells = rows.map((r) => [r.name, r.input, r.preset, r.params.toLocaleString('en'), `${(r.macs / 1e6).toFixed(1)} M`, `${(r.bytes / 1024).toFixed(0)} KiB`, r.source]);
      process.stdout.write(fitTable(head, cells));
    });
};
