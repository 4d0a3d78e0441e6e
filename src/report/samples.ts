/**
 * Raw timing samples beside the CSV, one JSON object per row and line, so that `compare` can run
 * statistics on the samples themselves rather than on summaries. Appended like the CSV.
 * `samples_ms` are in the order they were taken (drift and outliers stay where they happened);
 * `first_sample_at` is the wall-clock ISO time the first of them started.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SampleRecord {
  run_id: string;
  model: string;
  variant: string;
  runtime: string;
  batch: number;
  samples_ms: number[];
  first_sample_at?: string;
}

export class SamplesLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(r: SampleRecord): void {
    appendFileSync(this.path, `${JSON.stringify({ ...r, samples_ms: r.samples_ms.map((v) => Number(v.toFixed(4))) })}\n`);
  }
}
