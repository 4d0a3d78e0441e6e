/**
 * Per-node profiles beside a run: `reports/<run>.profile.csv`, one row per (model, variant,
 * runtime, batch, node), from ORT's own profiler (see src/runners/profile.ts). `fallback` marks a
 * node that ran on another provider than the runtime asked for; per row of the main CSV, the
 * count of `fallback=true` rows is its `fallback_nodes`. Appended as each row is measured, like
 * the main CSV; an existing file with another header is refused.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { EXIT, UserError } from '../errors.ts';
import type { NodeProfile } from '../runners/runner.ts';

export const PROFILE_COLUMNS = [
  'run_id',
  'model',
  'variant',
  'runtime',
  'batch',
  'node',
  'op_type',
  'provider',
  'fallback',
  'time_us_per_run',
  'calls',
] as const;

export interface ProfileKey {
  run_id: string;
  model: string;
  variant: string;
  runtime: string;
  batch: number;
}

/** The profile file beside a report: `x.csv` -> `x.profile.csv`. */
export const profilePathFor = (csvPath: string): string => `${csvPath.replace(/\.csv$/, '')}.profile.csv`;

export class ProfileCsv {
  constructor(readonly path: string) {}

  open(): this {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (existsSync(this.path) && readFileSync(this.path, 'utf8').length > 0) {
        const header = readFileSync(this.path, 'utf8').split('\n', 1)[0];
        if (header !== PROFILE_COLUMNS.join(',')) throw new UserError(`${this.path} already exists with other columns; choose another --out or move it away`, EXIT.output);
      } else {
        writeFileSync(this.path, stringify([[...PROFILE_COLUMNS]]));
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot write the profile ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; choose a writable --out`, EXIT.output);
    }
    return this;
  }

  /** One row per node; `isFallback` says which nodes count in the main row's fallback_nodes. */
  append(key: ProfileKey, nodes: readonly NodeProfile[], isFallback: (n: NodeProfile) => boolean): void {
    const rows = nodes.map((n) => [key.run_id, key.model, key.variant, key.runtime, key.batch, n.name, n.opType, n.provider, String(isFallback(n)), Number(n.meanUs.toFixed(3)), n.calls]);
    if (rows.length > 0) appendFileSync(this.path, stringify(rows));
  }
}
