/**
 * `melbench models`: the zoo with its source, default input shape, parameters, MACs and weight
 * bytes, counted from shapes: the models are built with zero weights (no random draws) and never
 * serialized, so listing the zoo (resnet50 included) takes well under a second.
 */
import { getPreset } from '../features/presets.ts';
import { fitTable } from '../report/terminal-table.ts';
import { bindInputShape, countMacs, countParams } from '../export/cost.ts';
import { DTYPE_BYTES } from '../graph/dtype.ts';
import { ZOO } from '../graph/zoo/index.ts';
import { defaultInput } from '../sweep/inputs.ts';
import type { RegisterCommand } from './command.ts';
import { positiveInt } from './options.ts';

export const register: RegisterCommand = (program) => {
  program
    .command('models')
    .description('list the zoo: source paper, input shape, parameters, MACs and weight bytes (float32)')
    .option('--classes <n>', 'number of classes', positiveInt('--classes'), 10)
    .option('--json', 'print JSON instead of a table')
    .action((o: { classes: number; json?: boolean }) => {
      const rows = ZOO.map((e) => {
        const input = defaultInput(getPreset(e.preset));
        const g = e.build({ ...input, classes: o.classes, initialise: false });
        const weightBytes = g.initializers.reduce((a, t) => a + t.data.length * DTYPE_BYTES[t.dtype], 0);
        return {
          name: e.name,
          source: e.source,
          preset: e.preset,
          input: `${input.channels}x${input.mels}x${e.anyLength ? `${input.frames} (any T)` : input.frames}`,
          params: countParams(g).params,
          macs: countMacs(bindInputShape(g, [1, input.channels, input.mels, input.frames])),
          weight_bytes: weightBytes,
          description: e.description,
        };
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const head = [{ head: 'model' }, { head: 'input CxMxT', drop: 2 }, { head: 'preset', drop: 3 }, { head: 'params' }, { head: 'MACs' }, { head: 'weights', drop: 1 }, { head: 'source', wrap: true }];
      const cells = rows.map((r) => [r.name, r.input, r.preset, r.params.toLocaleString('en'), `${(r.macs / 1e6).toFixed(1)} M`, `${(r.weight_bytes / 1024).toFixed(0)} KiB`, r.source]);
      process.stdout.write(fitTable(head, cells));
    });
};
