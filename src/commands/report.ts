/**
 * `melbench report <run.csv>... [-o dir]`: one self-contained HTML page per run, written to
 * `<dir>/<run>/index.html` (src/report/write-report.ts). Prints each page's path.
 */
import { writeReport } from '../report/write-report.ts';
import type { RegisterCommand } from './command.ts';

export const register: RegisterCommand = (program) => {
  program
    .command('report')
    .description('write an HTML report (plots as inline SVG, no network) for each run CSV: <dir>/<run>/index.html')
    .argument('<run.csv...>', 'reports written by bench or ablate')
    .option('-o, --out <dir>', "folder to write <run>/index.html into (default: the CSV's folder)")
    .action(async (csvs: string[], o: { out?: string }) => {
      for (const csv of csvs) process.stdout.write(`${await writeReport(csv, o.out)}\n`);
    });
};
