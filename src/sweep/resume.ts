/**
 * `--resume <run.csv>`: which cells of a run are already done, after the report and its samples
 * log are made to agree. Opening the sinks first moves a torn last line of either file aside
 * (torn-line.ts); then, for the rows of this run (its run_id):
 *
 * - `ok`, `unavailable` and `unsupported` rows are done and kept;
 * - `crashed`, `timeout` and `error` rows are kept and done too, unless `retryFailed`: then they
 *   are moved aside and measured again;
 * - an ok row whose samples record is missing (the run was killed between the row's two writes,
 *   CSV first) is moved aside and measured again, as is a samples record with no row.
 *
 * Moved lines are appended to `<file>.aside` (never deleted) and the files are rewritten through
 * a temporary file and a rename, so a kill during the rewrite leaves the old or the new file.
 * A cell is (model, variant, runtime, batch): a run's other settings are one per run
 * (run-settings.ts).
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { EXIT, UserError } from '../errors.ts';
import { csvLine } from '../report/csv.ts';

export const FAILED_STATUSES = ['crashed', 'timeout', 'error'] as const;

/** A cell's identity within one run. */
export const cellKey = (c: { model: unknown; variant: unknown; runtime: unknown; batch: unknown }): string => [c.model, c.variant, c.runtime, Number(c.batch)].join('|');

export interface ResumeState {
  /** Keys (cellKey) of the cells not to measure again. */
  done: Set<string>;
  /** Status of every kept row of the run, for the exit code. */
  keptStatuses: string[];
  /** Lines moved aside, for the message. */
  movedAside: number;
}

/** Rewrites `path` as `keep` (through a rename) and appends `moved` to `<path>.aside`. */
function rewrite(path: string, keep: string[], moved: string[]): void {
  if (!moved.length) return;
  appendFileSync(`${path}.aside`, moved.join(''));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, keep.join(''));
  renameSync(tmp, path);
}

export function reconcileForResume(csvPath: string, samplesPath: string, runId: string, retryFailed: boolean, warn: (msg: string) => void): ResumeState {
  let records: string[][];
  try {
    records = parse(readFileSync(csvPath, 'utf8'), { relax_column_count: false });
  } catch (e) {
    throw new UserError(`--resume: ${csvPath} is not a valid CSV: ${(e as Error).message.split('\n')[0]}`, EXIT.badInput);
  }
  const [header, ...rows] = records;
  const col = (name: string) => header.indexOf(name);
  const [iRun, iModel, iVariant, iRuntime, iBatch, iStatus, iSamples] = ['run_id', 'model', 'variant', 'runtime', 'batch', 'status', 'samples'].map(col);
  const keyOf = (r: string[]) => cellKey({ model: r[iModel], variant: r[iVariant], runtime: r[iRuntime], batch: r[iBatch] });

  const samplesLines = readFileSync(samplesPath, { encoding: 'utf8', flag: 'a+' }).split('\n').filter((l) => l.trim());
  const sampled = new Map<string, number>();
  samplesLines.forEach((l, i) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l);
    } catch {
      throw new UserError(`--resume: ${samplesPath}:${i + 1}: not a JSON record`, EXIT.badInput);
    }
    if (o.run_id === runId) sampled.set(cellKey(o as Parameters<typeof cellKey>[0]), i);
  });

  const done = new Set<string>();
  const keptStatuses: string[] = [];
  const keepCsv = [csvLine(header)];
  const movedCsv: string[] = [];
  const keptOk = new Set<string>();
  for (const r of rows) {
    const line = csvLine(r);
    if (r[iRun] !== runId) {
      keepCsv.push(line);
      continue;
    }
    const k = keyOf(r);
    const status = r[iStatus];
    const retry = retryFailed && (FAILED_STATUSES as readonly string[]).includes(status);
    const orphan = status === 'ok' && r[iSamples] !== '' && !sampled.has(k);
    if (done.has(k) || retry || orphan) {
      if (orphan) warn(`melbench: --resume: ${k.replace(/\|/g, ' ')} has a row but no samples record (killed between the two writes?): measuring it again`);
      movedCsv.push(line);
      continue;
    }
    done.add(k);
    keptStatuses.push(status);
    if (status === 'ok') keptOk.add(k);
    keepCsv.push(line);
  }
  const keepSamples: string[] = [];
  const movedSamples: string[] = [];
  samplesLines.forEach((l, i) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const mine = o.run_id === runId;
    const k = cellKey(o as Parameters<typeof cellKey>[0]);
    // NOTE: a record whose row was moved aside (or never written) goes too, and so does a second record of one cell.
    (mine && (!keptOk.has(k) || sampled.get(k) !== i) ? movedSamples : keepSamples).push(`${l}\n`);
  });
  rewrite(csvPath, keepCsv, movedCsv);
  rewrite(samplesPath, keepSamples, movedSamples);
  const movedAside = movedCsv.length + movedSamples.length;
  if (movedAside) warn(`melbench: --resume: moved ${movedCsv.length} row(s) and ${movedSamples.length} samples record(s) to ${csvPath}.aside / ${samplesPath}.aside; their cells are measured again`);
  return { done, keptStatuses, movedAside };
}
