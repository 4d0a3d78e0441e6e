/**
 * Raw timing samples beside the CSV, one JSON object per row and line, so that `compare` can run
 * statistics on the samples themselves rather than on summaries. Appended like the CSV: one whole
 * line per write, paired with the CSV report so that the two agree row for row after any failure
 * (append-line.ts), and a torn last line is moved aside before the first append (torn-line.ts).
 * `samples_ms` are in the order they were taken (drift and outliers stay where they happened);
 * `first_sample_at` is the wall-clock ISO time the first of them started.
 * `session_sizes` (with `bench --sessions N`, N > 1): the samples are N sessions' runs one after
 * another, this many per session in order; absent (older files, or one session): one session.
 */
import { statSync } from 'node:fs';
import { type FileOps, LineFile, NODE_FILE_OPS, pairWith, rowKey } from './append-line.ts';
import { prepareOutputPath } from './output-path.ts';
import { setAsideTornTail } from './torn-line.ts';

export interface SampleRecord {
  run_id: string;
  model: string;
  variant: string;
  runtime: string;
  batch: number;
  samples_ms: number[];
  first_sample_at?: string;
  /** Runs per session, in order, when the cell was measured in more than one session. */
  session_sizes?: number[];
}

/** A line (without '\n') is whole when it is one JSON object. */
function isWholeJson(line: string): boolean {
  try {
    const v = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export class SamplesLog {
  private readonly file: LineFile;

  constructor(
    readonly path: string,
    ops: FileOps = NODE_FILE_OPS,
  ) {
    if (prepareOutputPath(path, 'samples log') && statSync(path).size > 0) setAsideTornTail(path, isWholeJson);
    this.file = new LineFile(path, 'samples log', 'record', ops);
    pairWith(path, this.file);
  }

  append(r: SampleRecord): void {
    const line = `${JSON.stringify({ ...r, samples_ms: r.samples_ms.map((v) => Number(v.toFixed(4))) })}\n`;
    this.file.append(line, rowKey(r));
  }
}
