/**
 * `melbench data --dataset alerts|sonicpi|folder:<path> --preset <name>`: extracts (or finds in
 * the cache) a dataset's features, then prints the class counts per split, the split sizes, the
 * skipped files with their reasons, and the cache entry.
 */
import { EXIT, UserError } from '../errors.ts';
import { ON_BAD_FILE, type OnBadFile } from '../features/datasets/bad-files.ts';
import { DEFAULT_CACHE_DIR } from '../features/datasets/cache.ts';
import { BALANCE_MODES, DATASET_NAMES, loadDataset, SPLITS, type Balance, type LoadOptions } from '../features/datasets/index.ts';
import { classCounts } from '../features/datasets/sampling.ts';
import { PRESET_NAMES } from '../features/presets.ts';
import type { RegisterCommand } from './command.ts';
import { boundOf, nameList, nonNegativeInt } from './options.ts';

interface DataOptions {
  dataset: string;
  preset: string;
  seed: number;
  onBadFile: string;
  strictRate?: boolean;
  balance: string;
  snr?: string;
  clipsPerClass?: string;
  classes?: string[];
  cacheDir: string;
}

/** `n` comma-separated numbers within the flag's documented range (options.ts BOUNDS). */
function numbers(flag: string, v: string, n: number): number[] {
  const xs = v.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s.trim())));
  const b = boundOf(flag, 0);
  if (xs.length !== n || xs.some((x) => !Number.isFinite(x))) throw new UserError(`${flag} expects ${n} comma-separated numbers (got '${v}')`, EXIT.usage);
  if (xs.some((x) => x < b.min || x > b.max)) throw new UserError(`${flag} expects numbers in [${b.min}, ${b.max}] (got '${v}')`, EXIT.usage);
  return xs;
}

export const register: RegisterCommand = (program) => {
  program
    .command('data')
    .description('extract a dataset\'s features into the cache and print its classes, splits and skipped files')
    .option('-d, --dataset <name>', `dataset (${DATASET_NAMES.join(', ')})`, 'alerts')
    .option('-p, --preset <name>', `feature preset (${PRESET_NAMES.join(', ')})`, 'default')
    .option('--seed <n>', 'seed of synthesis, crops and splits', nonNegativeInt('--seed'), 0)
    .option('--on-bad-file <policy>', `what to do with an unreadable, corrupt, silent or mislabelled file (${ON_BAD_FILE.join(', ')})`, 'fail')
    .option('--strict-rate', 'reject files whose sample rate differs from the preset\'s instead of resampling them')
    .option('--balance <mode>', `train split balancing (${BALANCE_MODES.join(', ')})`, 'none')
    .option('--snr <lo,hi>', 'alerts: event-to-background ratio range in dB (default -18,6)')
    .option('--clips-per-class <train,val,test>', 'alerts and sonicpi: examples per class in each split')
    .option('--classes <a,b,...>', 'folder: the class list; manifest labels outside it are bad rows', nameList)
    .option('--cache-dir <dir>', 'cache root', DEFAULT_CACHE_DIR)
    .action(async (o: DataOptions) => {
      const seed = o.seed;
      const opts: LoadOptions = {
        preset: o.preset,
        seed,
        onBadFile: o.onBadFile as OnBadFile,
        strictRate: o.strictRate ?? false,
        balance: o.balance as Balance,
        cacheDir: o.cacheDir,
      };
      if (o.snr) {
        const [lo, hi] = numbers('--snr', o.snr, 2);
        if (lo > hi) throw new UserError(`--snr expects lo,hi with lo <= hi (got '${o.snr}')`, EXIT.usage);
        opts.alerts = { snrDb: [lo, hi] };
      }
      if (o.clipsPerClass) {
        const [train, val, test] = numbers('--clips-per-class', o.clipsPerClass, 3);
        if (![train, val, test].every((x) => Number.isInteger(x) && x >= 0)) {
          throw new UserError(`--clips-per-class expects 3 non-negative integers (got '${o.clipsPerClass}')`, EXIT.usage);
        }
        const perClass = { train, val, test };
        opts.alerts = { ...opts.alerts, perClass };
        opts.sonicpi = { perClass };
      }
      if (o.classes) opts.folder = { classes: o.classes };
      const t0 = performance.now();
      const f = await loadDataset(o.dataset, opts);
      const seconds = (performance.now() - t0) / 1000;
      const out: string[] = [];
      const dims = f.splits.train.dims;
      out.push(`dataset ${f.dataset}, preset ${f.preset}: ${f.classes.length} classes, features [${dims.join(', ')}] per clip, seed ${seed}`);
      const counts = SPLITS.map((s) => classCounts(f.splits[s].y, f.classes.length));
      const w = Math.max(5, ...f.classes.map((c) => c.length));
      out.push(`${'class'.padEnd(w)}  ${SPLITS.map((s) => s.padStart(6)).join('')}`);
      f.classes.forEach((c, i) => out.push(`${c.padEnd(w)}  ${counts.map((k) => String(k[i]).padStart(6)).join('')}`));
      out.push(`${'total'.padEnd(w)}  ${SPLITS.map((s) => String(f.splits[s].y.length).padStart(6)).join('')}`);
      if (o.balance === 'undersample') out.push('train is undersampled to the smallest class');
      for (const n of f.notes) out.push(n);
      const counters = Object.entries(f.counters);
      if (counters.length) out.push(`counters: ${counters.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      out.push(`skipped ${f.skipped.length} file${f.skipped.length === 1 ? '' : 's'}${f.skipped.length ? ':' : ''}`);
      for (const s of f.skipped) out.push(`  ${s.file}: ${s.reason}`);
      out.push(`cache ${f.cache.path}.{f32,json} (${f.cache.hit ? 'hit' : 'written'}) in ${seconds.toFixed(1)} s`);
      process.stdout.write(out.join('\n') + '\n');
    });
};
