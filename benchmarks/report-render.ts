/**
 * How long `melbench report` takes on a large run: writes a synthetic run of about 1,200 rows
 * (12 models × 25 variants × 4 runtimes, 50 samples each, plus confusion matrices) in a temp
 * folder, then times loading it and rendering the page (median of `--repeats`, default 3): wall
 * time and this process's CPU time.
 *
 *   npx tsx benchmarks/report-render.ts [--repeats 3]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../src/report/write-report.ts';
import { writeSyntheticRun } from './report-synthetic.ts';

const arg = process.argv.indexOf('--repeats');
const repeats = arg > 0 ? Number(process.argv[arg + 1]) : 3;
const dir = mkdtempSync(join(tmpdir(), 'melbench-report-bench-'));
try {
  const models = ['resnet', 'resnet-rf1', 'dws-resnet', 'bir-resnet', 'dcase-baseline', 'bupt-resnet', 'cnn', 'newcnn', 'vgg-dws', 'lstm', 'resnet50', 'mini'];
  const { csvPath, rows } = writeSyntheticRun(dir, 'synthetic-1200', {
    models,
    ratios: [0.3, 0.5, 0.7],
    calibrations: ['minmax', 'percentile', 'entropy', 'mse'],
    runtimes: ['cpu', 'wasm', 'webgpu', 'webgpu-web'],
    samples: 50,
    classes: ['alarm', 'bell', 'horn', 'siren', 'whistle', 'beep', 'chime', 'buzzer', 'knock', 'ring', 'clap', 'click'],
    unavailable: true,
    profile: true,
  });
  const times: number[] = [];
  const cpu: number[] = [];
  let path = '';
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    path = await writeReport(csvPath);
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] / 1000;
  const kb = statSync(path).size / 1000;
  // NOTE: CPU time too: on a shared machine the wall time mostly measures the other jobs.
  console.log(
    `report of ${rows} rows: median wall ${median(times).toFixed(2)} s, CPU ${median(cpu).toFixed(2)} s over ${repeats} renders ` +
      `(wall: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s); page ${kb.toFixed(0)} KB; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
