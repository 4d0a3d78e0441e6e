/**
 * The settings of a run, saved beside its CSV as `<run>.settings.json` when the run starts, so
 * that `--resume <run.csv>` can finish the same sweep: options not given again are taken from the
 * file, and an option given again with another value (other --threads, --preset, --batch...) is
 * refused with one line naming each difference (exit 2), since its rows would not belong to the
 * same run. Written to a temporary file and renamed, so a kill never leaves half a file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, UserError } from '../errors.ts';

export interface RunSettings {
  run_id: string;
  /** 'bench' or 'ablate'. */
  command: string;
  /** The command's parsed options that decide what is measured, by commander's (camelCase) name. */
  options: Record<string, unknown>;
}

/**
 * Options that do not change what a cell measures, so a resume may give them anew: where the run
 * goes, how failures are handled, how long to wait, and whether a report is written.
 */
const NOT_SETTINGS = new Set(['out', 'resume', 'retryFailed', 'report', 'strict', 'timeoutS', 'isolate']);

/** `reports/r.csv` -> `reports/r.settings.json`. */
export const settingsPathOf = (csvPath: string): string => `${csvPath.replace(/\.csv$/, '')}.settings.json`;

/** The options of `o` that are settings. */
export function settingsOf(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => !NOT_SETTINGS.has(k) && v !== undefined));
}

export function writeRunSettings(csvPath: string, s: RunSettings): void {
  const path = settingsPathOf(csvPath);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    throw new UserError(`cannot write the run settings ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable --out`, EXIT.output);
  }
}

export function readRunSettings(csvPath: string, command: string): RunSettings {
  const path = settingsPathOf(csvPath);
  if (!existsSync(csvPath)) throw new UserError(`--resume: no such report ${csvPath}`);
  if (!existsSync(path)) throw new UserError(`--resume: ${path} is missing, so the settings of ${csvPath} are unknown; only runs started by this melbench's \`${command}\` can be resumed`);
  let s: RunSettings;
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`--resume: ${path} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, EXIT.badInput);
  }
  if (typeof s?.run_id !== 'string' || typeof s.options !== 'object' || s.options === null) throw new UserError(`--resume: ${path} has no run_id or options`, EXIT.badInput);
  if (s.command !== command) throw new UserError(`--resume: ${csvPath} is a \`${s.command}\` run; resume it with \`melbench ${s.command} --resume\``);
  return s;
}

const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The options to resume with: the saved settings, with the options given on this command line
 * checked against them. Throws a usage error (exit 2) naming every option that differs.
 */
export function resumedOptions<T extends object>(o: T, cmd: Command, saved: RunSettings): T {
  const differ: string[] = [];
  const now = settingsOf(o);
  for (const k of new Set([...Object.keys(now), ...Object.keys(saved.options)])) {
    if (cmd.getOptionValueSource(k) !== 'cli') continue;
    const a = JSON.stringify(saved.options[k] ?? null);
    const b = JSON.stringify(now[k] ?? null);
    if (a !== b) differ.push(`${flag(k)} ${b} (the run has ${a})`);
  }
  if (differ.length) throw new UserError(`--resume: settings differ from run ${saved.run_id}: ${differ.join('; ')}; drop them or start a new run`);
  return { ...o, ...saved.options };
}
