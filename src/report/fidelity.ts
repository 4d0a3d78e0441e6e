/**
 * Fidelity of a compressed model to its fp32 original when there are no labels: per output, over
 * the same N evaluation inputs fed to both (inputs disjoint from calibration),
 *
 *   max_abs_diff  = max_i |y_i - r_i|
 *   snr_db        = 10 log10( sum_i r_i^2 / sum_i (y_i - r_i)^2 )      (r: the fp32 output)
 *                   +Infinity when the outputs are identical; -Infinity when r is all zeros and y is not
 *   agreement     = fraction of rows whose argmax over the last axis equals the fp32 row's argmax,
 *                   for classifier-like outputs only: rank 2, [rows, K] with K >= 2
 *
 * A model is summarised by its worst output: the lowest SNR, the lowest agreement, the largest
 * difference. Sums accumulate batch by batch (`addBatch`), so N may exceed one session run.
 * Element-wise differences and argmax agreement reuse src/runners/output-diff.ts.
 */
import type { HostTensor } from '../runners/runner.ts';
import type { Row } from './columns.ts';
import { maxAbsDiff, nonFiniteOutputs, notClassScores, topOneAgreement } from '../runners/output-diff.ts';

export interface OutputFidelity {
  output: string;
  /** Elements compared over all inputs. */
  values: number;
  maxAbsDiff: number;
  snrDb: number;
  /** Argmax agreement, for a classifier-like output ([rows, K], K >= 2); undefined otherwise. */
  agreement?: number;
}

export interface FidelitySummary {
  /** Evaluation inputs (samples) compared. */
  inputs: number;
  perOutput: OutputFidelity[];
  /** Lowest SNR over the outputs. */
  snrDb: number;
  /** Lowest agreement over the classifier-like outputs; undefined when there is none. */
  agreement?: number;
  /** Largest |y - r| over every output. */
  maxAbsDiff: number;
  /** Set when an output of the compressed model (or of the original) held NaN or ±Inf. */
  nonFinite?: string;
}

interface Sums {
  values: number;
  signal: number;
  noise: number;
  maxAbs: number;
  classifier: boolean;
  agreeRows: number;
  rows: number;
}

const numbers = (t: HostTensor): ArrayLike<number> => (t.data instanceof BigInt64Array ? Array.from(t.data, Number) : (t.data as ArrayLike<number>));

/** Whether argmax over the last axis names a class: [rows, K] with K >= 2. */
export function isClassifierLike(t: HostTensor): boolean {
  return notClassScores(t) === undefined;
}

/** SNR in dB of `signal` energy over `noise` energy (see the header for the infinite cases). */
export function snrDb(signal: number, noise: number): number {
  if (noise === 0) return Number.POSITIVE_INFINITY;
  if (signal === 0) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(signal / noise);
}

/** Accumulates fidelity sums batch by batch; `summary()` gives the per-output and worst-case figures. */
export class FidelityAccumulator {
  private readonly sums = new Map<string, Sums>();
  private inputs = 0;
  private nonFinite: string | undefined;

  /**
   * One batch of `samples` inputs: the compressed model's outputs (already decoded to float when
   * its I/O is integer or float16) and the original's, by output name.
   */
  addBatch(samples: number, outputs: Record<string, HostTensor>, reference: Record<string, HostTensor>): void {
    this.inputs += samples;
    const bad = nonFiniteOutputs(outputs) ?? nonFiniteOutputs(reference);
    if (bad) this.nonFinite ??= bad;
    for (const [name, r] of Object.entries(reference)) {
      const y = outputs[name];
      if (!y || y.data.length !== r.data.length) throw new Error(`fidelity: output '${name}' has ${y ? y.data.length : 'no'} values, the original ${r.data.length}`);
      let s = this.sums.get(name);
      if (!s) this.sums.set(name, (s = { values: 0, signal: 0, noise: 0, maxAbs: 0, classifier: isClassifierLike(r), agreeRows: 0, rows: 0 }));
      const a = numbers(y);
      const b = numbers(r);
      for (let i = 0; i < a.length; i++) {
        const d = a[i] - b[i];
        s.signal += b[i] * b[i];
        s.noise += d * d;
      }
      s.values += a.length;
      s.maxAbs = Math.max(s.maxAbs, maxAbsDiff({ [name]: y }, { [name]: r }));
      if (s.classifier) {
        const rows = r.dims[0];
        s.agreeRows += topOneAgreement(y, r) * rows;
        s.rows += rows;
      }
    }
  }

  summary(): FidelitySummary {
    const perOutput: OutputFidelity[] = [...this.sums].map(([output, s]) => ({
      output,
      values: s.values,
      maxAbsDiff: s.maxAbs,
      snrDb: snrDb(s.signal, s.noise),
      ...(s.classifier && s.rows > 0 ? { agreement: Math.round(s.agreeRows) / s.rows } : {}),
    }));
    const agreements = perOutput.flatMap((o) => (o.agreement === undefined ? [] : [o.agreement]));
    return {
      inputs: this.inputs,
      perOutput,
      snrDb: perOutput.reduce((m, o) => Math.min(m, o.snrDb), Number.POSITIVE_INFINITY),
      ...(agreements.length ? { agreement: Math.min(...agreements) } : {}),
      maxAbsDiff: perOutput.reduce((m, o) => Math.max(m, o.maxAbsDiff), 0),
      ...(this.nonFinite ? { nonFinite: this.nonFinite } : {}),
    };
  }
}

const dB = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} dB` : x > 0 ? 'inf dB (identical)' : '-inf dB');

/** Lines for the terminal: one per output, e.g. "probs: agreement 0.998, SNR 38.2 dB, max |Δ| 0.0031". */
export function fidelityLines(f: FidelitySummary): string[] {
  const lines = f.perOutput.map(
    (o) => `${o.output}: ${o.agreement === undefined ? '' : `argmax agreement ${o.agreement.toFixed(4)}, `}SNR ${dB(o.snrDb)}, max |Δ| ${o.maxAbsDiff.toPrecision(3)} (${o.values} values)`,
  );
  if (f.nonFinite) lines.push(`non-finite outputs: ${f.nonFinite}`);
  return lines;
}

/** The CSV's fidelity columns; empty (but for the count) when an output was not finite. */
export function fidelityColumns(f: FidelitySummary): Partial<Row> {
  if (f.nonFinite) return { fidelity_inputs: f.inputs };
  return { fidelity_inputs: f.inputs, fidelity_agreement: f.agreement ?? null, snr_db: f.snrDb, fidelity_max_abs_diff: f.maxAbsDiff };
}
