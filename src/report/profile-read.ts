/**
 * Reads `<run>.profile.csv`, the per-node profile beside a run (written by `bench --profile`):
 * one row per node and measured cell, with columns model, variant, runtime, batch, node, op_type,
 * provider, fallback, time_us_per_run (src/report/profile-csv.ts writes them). Other columns are ignored, so the file may grow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { EXIT, UserError } from '../errors.ts';

export interface ProfileRow {
  model: string;
  variant: string;
  runtime: string;
  batch: number;
  node: string;
  opType: string;
  /** ORT's execution provider that ran the node, e.g. 'CPUExecutionProvider'; '' when unknown. */
  provider: string;
  /** The node ran on another provider than its runtime asked for (src/runners/profile.ts decides; the main row's fallback_nodes counts these). */
  fallback: boolean;
  timeUs: number;
}

const REQUIRED = ['model', 'variant', 'runtime', 'batch', 'node', 'op_type', 'provider', 'fallback', 'time_us_per_run'] as const;


/** The profile's rows; [] when the file does not exist (a run without `--profile`). */
export function readProfile(path: string): ProfileRow[] {
  if (!existsSync(path)) return [];
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (e) {
    throw new UserError(`${path} is not a valid CSV: ${(e as Error).message.split('\n')[0]}`, EXIT.badInput);
  }
  if (!records.length) return [];
  const missing = REQUIRED.filter((c) => !(c in records[0]));
  if (missing.length) throw new UserError(`${path} is not a melbench profile: no column ${missing.join(', ')}`, EXIT.badInput);
  return records.map((r, i) => {
    const timeUs = Number(r.time_us_per_run);
    const batch = Number(r.batch);
    if (!Number.isFinite(timeUs) || timeUs < 0) throw new UserError(`${path}:${i + 2}: time_us_per_run is '${r.time_us_per_run}', not a non-negative number`, EXIT.badInput);
    return { model: r.model, variant: r.variant, runtime: r.runtime, batch, node: r.node, opType: r.op_type, provider: r.provider, fallback: r.fallback === 'true', timeUs };
  });
}
