/**
 * Confusion matrices beside the CSV: `<run>.confusion.jsonl`, one JSON object per line and per
 * (model, variant, runtime) that was scored on a test split:
 *
 *   {"model":"resnet","variant":"fp32","runtime":"cpu","classes":["bell","horn"],"matrix":[[9,1],[0,10]]}
 *
 * `matrix[t][p]` counts the test clips of true class `classes[t]` predicted as `classes[p]`
 * (src/train/metrics.ts's C[true][pred]). Appended as rows are measured, like the samples log;
 * the reader ignores fields it does not know, so records may grow (e.g. a run_id or batch).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT, invariant, UserError } from '../errors.ts';

export interface ConfusionRecord {
  model: string;
  variant: string;
  runtime: string;
  classes: string[];
  /** matrix[true][pred], classes.length × classes.length non-negative integers. */
  matrix: number[][];
}

/** `reports/r.csv` → `reports/r.confusion.jsonl`. */
export const confusionPathOf = (csvPath: string): string => `${csvPath.replace(/\.csv$/, '')}.confusion.jsonl`;

/** Why a record is malformed, or null when it is a valid ConfusionRecord. */
function problem(o: unknown): string | null {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'not a JSON object';
  const r = o as Record<string, unknown>;
  for (const f of ['model', 'variant', 'runtime'] as const) if (typeof r[f] !== 'string') return `no string field ${f}`;
  const { classes, matrix } = r;
  if (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => typeof c !== 'string')) return 'classes must be a non-empty list of names';
  const k = classes.length;
  if (!Array.isArray(matrix) || matrix.length !== k) return `matrix must have ${k} rows, one per class`;
  for (const row of matrix) {
    if (!Array.isArray(row) || row.length !== k) return `every matrix row must have ${k} counts`;
    if (row.some((v) => !Number.isInteger(v) || v < 0)) return 'matrix counts must be non-negative integers';
  }
  return null;
}

/** Appends records to `<run>.confusion.jsonl`; the sweep calls `append` once per scored row. */
export class ConfusionLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(r: ConfusionRecord): void {
    // NOTE: validated on the way out too: a malformed record here is a bug of the caller, not the user's.
    const why = problem(r);
    invariant(!why, () => `confusion record for ${r.model} ${r.variant} ${r.runtime}: ${why}`);
    const { model, variant, runtime, classes, matrix } = r;
    appendFileSync(this.path, `${JSON.stringify({ model, variant, runtime, classes, matrix })}\n`);
  }
}

/**
 * Reads `<run>.confusion.jsonl`; [] when the file does not exist (a run with no trained model).
 * A malformed line is a bad input file (exit 3), named with its line number.
 */
export function readConfusion(path: string): ConfusionRecord[] {
  if (!existsSync(path)) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  const out: ConfusionRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new UserError(`${path}:${i + 1}: not a JSON record`, EXIT.badInput);
    }
    const why = problem(o);
    if (why) throw new UserError(`${path}:${i + 1}: ${why}`, EXIT.badInput);
    const r = o as ConfusionRecord;
    out.push({ model: r.model, variant: r.variant, runtime: r.runtime, classes: r.classes, matrix: r.matrix });
  });
  return out;
}
