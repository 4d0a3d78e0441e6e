/**
 * What the report's charts show, computed from a run's rows and sidecars: plain data points,
 * no rendering. Each function returns [] when the run has nothing for its chart, and the page
 * leaves that section out.
 *
 *   latency      p10 / p50 / p90 of the raw samples (linear-interpolated quantiles, as the CSV's
 *                p50_ms and p90_ms); without samples, the CSV's p50_ms and p90_ms.
 *   size vs F1   model_bytes / 1000 (KB) against macro_f1, one point per (model, variant).
 *   latency ratio  p50 / p50 of the same model's fp32 variant on the same runtime and batch.
 *   fallback     a profiled node whose provider is not the one its runtime asked for.
 */
import { quantile } from '../runners/timing.ts';
import type { ConfusionRecord } from './confusion-log.ts';
import type { ProfileRow } from './profile-read.ts';
import { type ReportInputs, sampleKey } from './report-inputs.ts';

type CsvRow = Record<string, string>;

const num = (v: string | undefined): number | undefined => (v === undefined || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));
const none = (v: string | undefined): boolean => v === undefined || v === '' || v === 'none';

/** 'cpu', or 'cpu b8' when the run has more than one batch size. */
function runtimeLabel(r: CsvRow, batches: number): string {
  return batches > 1 ? `${r.runtime} b${r.batch}` : r.runtime;
}

const batchCount = (rows: CsvRow[]): number => new Set(rows.map((r) => r.batch)).size;

/** The row that stands for a (model, variant) where one value is shown: cpu's if there is one. */
function preferCpu(rows: CsvRow[]): CsvRow {
  return rows.find((r) => r.runtime === 'cpu') ?? rows[0];
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Summary and environment

export interface RunSummary {
  rows: number;
  models: string[];
  variants: number;
  runtimes: string[];
  batches: string[];
  /** status -> count */
  statuses: Record<string, number>;
  /** runtime -> status -> count */
  byRuntime: Record<string, Record<string, number>>;
}

export function summarize(rows: CsvRow[]): RunSummary {
  const uniq = (c: string) => [...new Set(rows.map((r) => r[c] ?? ''))];
  const statuses: Record<string, number> = {};
  const byRuntime: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const t = (byRuntime[r.runtime] ??= {});
    t[r.status] = (t[r.status] ?? 0) + 1;
  }
  return {
    rows: rows.length,
    models: uniq('model'),
    variants: new Set(rows.map((r) => `${r.model}|${r.variant}`)).size,
    runtimes: uniq('runtime'),
    batches: uniq('batch'),
    statuses,
    byRuntime,
  };
}

/** The environment block of the CSV: `device` and every column after it (more may be appended). */
export function environmentColumns(header: string[]): string[] {
  const i = header.indexOf('device');
  return i < 0 ? [] : header.slice(i).filter((c) => c !== 'kept_fp32');
}

export interface ColumnValues {
  column: string;
  /** Distinct non-empty values, in order of appearance. */
  values: string[];
}

/**
 * Every column whose value is the same in all rows (constant: one value), and the environment
 * columns that vary (e.g. `device`, one per runtime). Empty columns are left out.
 */
export function runConstants(header: string[], rows: CsvRow[]): { constant: ColumnValues[]; varyingEnvironment: ColumnValues[] } {
  const env = new Set(environmentColumns(header));
  const constant: ColumnValues[] = [];
  const varyingEnvironment: ColumnValues[] = [];
  for (const column of header) {
    const all = rows.map((r) => r[column] ?? '');
    const values = [...new Set(all.filter((v) => v !== ''))];
    if (!values.length) continue;
    if (values.length === 1 && all.every((v) => v === values[0])) constant.push({ column, values });
    else if (env.has(column)) varyingEnvironment.push({ column, values });
  }
  // Environment first: it is what a reader checks before trusting a number.
  constant.sort((a, b) => Number(env.has(b.column)) - Number(env.has(a.column)));
  return { constant, varyingEnvironment };
}

// ---------------------------------------------------------------------------------------------
// Latency

export interface LatencyPoint {
  model: string;
  variant: string;
  /** 'model · variant', or the model alone when every row is one variant of it. */
  label: string;
  runtime: string;
  batch: number;
  p10: number;
  p50: number;
  p90: number;
  /** Samples behind the point; undefined when it comes from the CSV. */
  n?: number;
  source: 'samples' | 'csv';
  /** A SwiftShader row: a correctness check, not a speed claim. */
  software: boolean;
}

export function latencyPoints(inputs: Pick<ReportInputs, 'rows' | 'samples'>): LatencyPoint[] {
  const byKey = new Map(inputs.samples.map((s) => [sampleKey(s), s]));
  const variantsOf = groupBy(inputs.rows, (r) => r.model);
  const out: LatencyPoint[] = [];
  for (const r of inputs.rows) {
    if (r.status !== 'ok') continue;
    const several = new Set(variantsOf.get(r.model)!.map((x) => x.variant)).size > 1;
    const base = {
      model: r.model,
      variant: r.variant,
      label: several ? `${r.model} · ${r.variant}` : r.model,
      runtime: r.runtime,
      batch: Number(r.batch),
      software: r.software_adapter === 'true',
    };
    const s = byKey.get(sampleKey(r as Parameters<typeof sampleKey>[0]));
    if (s && s.samplesMs.length) {
      const sorted = [...s.samplesMs].sort((a, b) => a - b);
      out.push({ ...base, p10: quantile(sorted, 0.1), p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), n: sorted.length, source: 'samples' });
      continue;
    }
    const p50 = num(r.p50_ms);
    if (p50 === undefined) continue;
    // NOTE: the CSV has no p10: the whisker then spans p50..p90 only.
    out.push({ ...base, p10: p50, p50, p90: num(r.p90_ms) ?? p50, source: 'csv' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compression: size vs F1, quantization heatmaps, pruning curves

/** The compression technique a row's variant stands for, as its legend entry. */
export function technique(r: CsvRow): string {
  const q = none(r.quant_mode) ? '' : r.quant_mode;
  const p = none(r.prune_method) ? '' : r.prune_method;
  if (q && p) return `${p} + ${q}`;
  if (q || p) return q || p;
  return r.variant === 'fp32' || r.variant === 'trained-fp32' ? 'fp32' : r.variant;
}

export interface SizePoint {
  model: string;
  variant: string;
  technique: string;
  kb: number;
  f1: number;
}

export function sizeF1Points(rows: CsvRow[]): SizePoint[] {
  const scored = rows.filter((r) => num(r.macro_f1) !== undefined && num(r.model_bytes) !== undefined);
  return [...groupBy(scored, (r) => `${r.model}|${r.variant}`).values()].map((g) => {
    const r = preferCpu(g);
    return { model: r.model, variant: r.variant, technique: technique(r), kb: num(r.model_bytes)! / 1000, f1: num(r.macro_f1)! };
  });
}

/** The fp32 row a variant is measured against: same model, runtime and batch, nothing compressed. */
function baselineRows(rows: CsvRow[]): Map<string, CsvRow> {
  const m = new Map<string, CsvRow>();
  const key = (r: CsvRow) => `${r.model}|${r.runtime}|${r.batch}`;
  for (const r of rows) {
    if (r.status !== 'ok' || !none(r.quant_mode) || !none(r.prune_method)) continue;
    const named = r.variant === 'fp32' || r.variant === 'trained-fp32';
    if (named || (!m.has(key(r)) && r.variant !== 'fold-bn')) m.set(key(r), r);
  }
  return m;
}

export interface QuantCell {
  model: string;
  /** The variant's name without its calibration: 'qdq-u8s8-pc' for 'qdq-u8s8-pc-minmax'. */
  setting: string;
  quantMode: string;
  calibration: string;
  /** Facet label for latency: the runtime (and batch); '' for F1. */
  runtime: string;
  value: number;
}

const isQuantized = (r: CsvRow) => !none(r.quant_mode) && none(r.prune_method);

function setting(r: CsvRow): string {
  const c = r.calibration;
  return !none(c) && r.variant.endsWith(`-${c}`) ? r.variant.slice(0, -(c.length + 1)) : r.variant;
}

/** Shown for an ablation: a model with at least two quantized variants. */
function quantModels(rows: CsvRow[]): Set<string> {
  const per = groupBy(rows.filter(isQuantized), (r) => r.model);
  return new Set([...per].filter(([, g]) => new Set(g.map((r) => r.variant)).size >= 2).map(([m]) => m));
}

/** F1 over (setting × calibration), with the fp32 row as a reference line of the heatmap. */
export function quantF1Cells(rows: CsvRow[]): QuantCell[] {
  const models = quantModels(rows);
  const base = baselineRows(rows);
  const picked = rows.filter((r) => models.has(r.model) && num(r.macro_f1) !== undefined && (isQuantized(r) || [...base.values()].includes(r)));
  return [...groupBy(picked, (r) => `${r.model}|${r.variant}`).values()].map((g) => {
    const r = preferCpu(g);
    return { model: r.model, setting: setting(r), quantMode: none(r.quant_mode) ? 'none' : r.quant_mode, calibration: none(r.calibration) ? 'none' : r.calibration, runtime: '', value: num(r.macro_f1)! };
  });
}

/** p50 / the fp32 variant's p50, same model, runtime and batch; software adapters left out. */
export function quantLatencyRatioCells(rows: CsvRow[]): QuantCell[] {
  const models = quantModels(rows);
  const base = baselineRows(rows);
  const batches = batchCount(rows);
  const out: QuantCell[] = [];
  for (const r of rows) {
    if (!models.has(r.model) || !isQuantized(r) || r.status !== 'ok' || r.software_adapter === 'true') continue;
    const b = base.get(`${r.model}|${r.runtime}|${r.batch}`);
    const p50 = num(r.p50_ms);
    const b50 = num(b?.p50_ms);
    // NOTE: a 0 ms median is no measurement: no ratio, rather than 0 or ∞ on a log colour scale.
    if (!p50 || !b50) continue;
    out.push({ model: r.model, setting: setting(r), quantMode: r.quant_mode, calibration: none(r.calibration) ? 'none' : r.calibration, runtime: runtimeLabel(r, batches), value: p50 / b50 });
  }
  return out;
}

export interface PrunePoint {
  model: string;
  /** prune_method, plus the quantization when the pruned model was quantized too. */
  method: string;
  ratio: number;
  /** '' for F1 and MACs; the runtime (and batch) for latency. */
  runtime: string;
  value: number;
}

export type PruneMetric = 'macro_f1' | 'macs' | 'p50_ms';

/**
 * A curve per pruning method over prune_ratio, starting at ratio 0 from the fp32 variant, for the
 * models that have pruned rows. F1 and MACs take one row per variant (cpu's); latency one per
 * runtime, software adapters left out.
 */
export function pruneCurves(rows: CsvRow[], metric: PruneMetric): PrunePoint[] {
  const pruned = rows.filter((r) => !none(r.prune_method) && num(r.prune_ratio) !== undefined);
  if (!pruned.length) return [];
  const perRuntime = metric === 'p50_ms';
  const batches = batchCount(rows);
  const usable = (r: CsvRow) => num(r[metric]) !== undefined && (!perRuntime || (r.status === 'ok' && r.software_adapter !== 'true'));
  const method = (r: CsvRow) => (none(r.quant_mode) ? r.prune_method : `${r.prune_method} + ${r.quant_mode}`);
  const out: PrunePoint[] = [];
  const group = (r: CsvRow) => `${r.model}|${r.variant}${perRuntime ? `|${r.runtime}|${r.batch}` : ''}`;
  for (const g of groupBy(pruned.filter(usable), group).values()) {
    const r = perRuntime ? g[0] : preferCpu(g);
    out.push({ model: r.model, method: method(r), ratio: num(r.prune_ratio)!, runtime: perRuntime ? runtimeLabel(r, batches) : '', value: num(r[metric])! });
  }
  // Ratio 0: every method's curve starts at the model's fp32 row.
  const base = [...baselineRows(rows).values()].filter(usable);
  const methods = groupBy(out, (p) => `${p.model}|${p.method}`);
  for (const pts of methods.values()) {
    const { model, method: m } = pts[0];
    const starts = base.filter((b) => b.model === model);
    const chosen = perRuntime ? starts : starts.length ? [preferCpu(starts)] : [];
    for (const b of chosen) out.push({ model, method: m, ratio: 0, runtime: perRuntime ? runtimeLabel(b, batches) : '', value: num(b[metric])! });
  }
  return out.sort((a, b) => a.ratio - b.ratio);
}

// ---------------------------------------------------------------------------------------------
// Confusion matrices

export interface ConfusionGroup {
  model: string;
  variant: string;
  /** Runtimes whose matrices are identical, so one heatmap stands for them all. */
  runtimes: string[];
  classes: string[];
  matrix: number[][];
  /** The model's fp32 variant ('fp32' or 'trained-fp32', else its first): the trained model itself. */
  reference: boolean;
}

/** One group per (model, variant) and distinct matrix: runtimes that predicted alike share it. */
export function confusionGroups(records: ConfusionRecord[]): ConfusionGroup[] {
  const named = (v: string) => v === 'fp32' || v === 'trained-fp32';
  const refs = new Map<string, string>();
  for (const r of records) {
    const cur = refs.get(r.model);
    if (cur === undefined || (named(r.variant) && !named(cur))) refs.set(r.model, r.variant);
  }
  const groups = groupBy(records, (r) => JSON.stringify([r.model, r.variant, r.classes, r.matrix]));
  return [...groups.values()].map((g) => ({
    model: g[0].model,
    variant: g[0].variant,
    runtimes: g.map((r) => r.runtime),
    classes: g[0].classes,
    matrix: g[0].matrix,
    reference: refs.get(g[0].model) === g[0].variant,
  }));
}

export interface RecallCell {
  model: string;
  variant: string;
  cls: string;
  /** C[t][t] / sum_j C[t][j]: the fraction of the class's clips predicted right. */
  recall: number;
}

/** Per-class recall of each (model, variant), from its cpu matrix (or its first runtime's). */
export function perClassRecall(records: ConfusionRecord[]): RecallCell[] {
  const out: RecallCell[] = [];
  for (const g of groupBy(records, (r) => `${r.model}|${r.variant}`).values()) {
    const r = g.find((x) => x.runtime === 'cpu') ?? g[0];
    r.matrix.forEach((row, t) => {
      const total = row.reduce((s, v) => s + v, 0);
      out.push({ model: r.model, variant: r.variant, cls: r.classes[t], recall: total ? row[t] / total : 0 });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-node profiles

export interface OpTime {
  /** 'model · variant · runtime · bN' */
  cell: string;
  opType: string;
  provider: string;
  /** Time of the op type's nodes on this provider, µs per run. */
  timeUs: number;
  nodes: number;
  fallback: boolean;
}

const cellOf = (p: { model: string; variant: string; runtime: string; batch: number | string }) => `${p.model} · ${p.variant} · ${p.runtime} · b${p.batch}`;

/** Per cell and op type (split by provider), the summed time; the row's `provider` column says what was asked. */
export function opTimes(profile: ProfileRow[], rows: CsvRow[]): OpTime[] {
  const out: OpTime[] = [];
  for (const g of groupBy(profile, (p) => `${cellOf(p)}|${p.opType}|${p.provider}|${p.fallback}`).values()) {
    const p = g[0];
    out.push({ cell: cellOf(p), opType: p.opType, provider: p.provider || 'unknown', timeUs: g.reduce((s, x) => s + x.timeUs, 0), nodes: g.length, fallback: p.fallback });
  }
  return out;
}

/** Every profiled node that fell back, slowest first. */
export function fallbackNodes(profile: ProfileRow[], rows: CsvRow[]): (ProfileRow & { cell: string })[] {
  return profile
    .filter((p) => p.fallback)
    .map((p) => ({ ...p, cell: cellOf(p) }))
    .sort((a, b) => b.timeUs - a.timeUs);
}
