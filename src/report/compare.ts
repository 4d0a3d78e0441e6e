/**
 * The CI gate: pairs the cells of a baseline and a current run and decides, per cell and per
 * metric, regression / improvement / unchanged. Pure functions: reading files is load-run.ts,
 * printing and exports are compare-output.ts.
 *
 * A cell is (model, variant, runtime, batch, threads, preset). Per paired cell:
 * - status: ok -> crashed, timeout, error or nonfinite is a regression; an ok cell with no
 *   comparable candidate (absent from current, or unavailable / unsupported there) is `missing`,
 *   and one whose conditions differ (a software adapter on one side only, or threads_used,
 *   cross_origin_isolated or simd stated differently) is `incomparable`: both
 *   fail the gate unless `--allow-missing`, because a gate that cannot judge a cell must not pass
 *   it; not ok -> ok is an improvement; a new cell is reported, never failed.
 * - latency (both ok, neither on a software adapter): r = median(cur)/median(base) over the raw
 *   samples. Regression iff r > 1 + threshold AND the difference is significant at the chosen
 *   confidence c (bootstrap: the CI of r lies above 1; mwu: Mann–Whitney p < 1 - c). Interleaved
 *   A/B cells resample whole rounds, paired. Stored runs measured in several sessions
 *   (`bench --sessions N`, 3 or more in all) take sessions as the unit: a t interval on per-session
 *   medians (stats.ts, ratioOfSessionMedians; whatever --test says, since runs within a session
 *   are not independent). Stored runs of one session per side resample blocks of consecutive runs
 *   when their samples are in the order taken, and say that they cannot see a session's own bias
 *   (`note`). MWU treats runs as independent, so the bootstrap is the default. Improvement
 *   symmetrically (r < 1 - threshold and significant). Both conditions, because with thousands of
 *   samples a 0.5% shift is "significant" yet nobody should fail a build on it, and a 20% shift
 *   seen on 3 noisy samples is not evidence.
 * - macro_f1 and agreement_fp32 (when both rows have them; close_fraction instead where neither has
 *   agreement, as for a map output): regression when cur < base - threshold (absolute),
 *   improvement when cur > base + threshold.
 * - model_bytes: regression when cur > base · (1 + threshold), improvement when cur < base · (1 - threshold).
 * A cell is a regression if any of those is, else an improvement if any is, else unchanged.
 */
import { type BootstrapOptions, isAscending, mannWhitney, type RatioCi, ratioOfMedians, ratioOfMediansBlocks, ratioOfMediansPaired, ratioOfSessionMedians, splitSessions } from './stats.ts';

export const KEY_FIELDS = ['model', 'variant', 'runtime', 'batch', 'threads', 'preset'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];
export type CellKey = Record<KeyField, string>;

export const keyString = (k: CellKey): string => KEY_FIELDS.map((f) => k[f]).join('|');
/** A cell as people read it: 'resnet fp32 cpu b1 t0 default'. */
export const cellLabel = (k: CellKey): string => `${k.model} ${k.variant} ${k.runtime} b${k.batch} t${k.threads} ${k.preset}`;

/** The columns that say under what a latency was measured: two cells that differ in one measured different things. */
export const IN_FORCE_COLUMNS = ['threads_used', 'cross_origin_isolated', 'simd'] as const;
export type InForceColumn = (typeof IN_FORCE_COLUMNS)[number];

/** 'threads_used 2 -> 1' for each in-force column both cells state and state differently. */
export function inForceDifferences(base: CellData, cur: CellData): string[] {
  return IN_FORCE_COLUMNS.flatMap((c) => {
    const a = base.inForce?.[c];
    const b = cur.inForce?.[c];
    return a && b && a !== b ? [`${c} ${a} -> ${b}`] : [];
  });
}

/** What the gate needs of one cell of one run. */
export interface CellData {
  key: CellKey;
  status: string;
  error?: string;
  /** Raw latency samples (ms), present for an ok cell. */
  samples?: number[];
  macroF1?: number;
  agreementFp32?: number;
  /** close_fraction (schema 5): gated where agreement does not apply. */
  closeFraction?: number;
  modelBytes?: number;
  /** Timed on a software adapter (SwiftShader): its latency is never compared. */
  software: boolean;
  /** What was in force while timed (schema 6), as the CSV has it; a field left empty is unknown, never a difference. */
  inForce?: Partial<Record<InForceColumn, string>>;
  /**
   * Interleaved A/B only: `samples` are rounds of this many consecutive runs, round i of both
   * sides measured back to back; the latency CI then resamples whole rounds, paired.
   */
  roundSize?: number;
  /**
   * Stored runs: `samples` are these sessions' runs, one after another (runs per session, in
   * order; `bench --sessions N`). Absent: one session.
   */
  sessions?: number[];
}

export interface GateConfig {
  /** Relative latency change that matters (0.05 = 5%). */
  latency: number;
  /** Absolute macro-F1 drop. */
  f1: number;
  /** Absolute agreement_fp32 drop. */
  agreement: number;
  /** Relative model_bytes growth. */
  size: number;
  confidence: number;
  test: 'bootstrap' | 'mwu';
  resamples: number;
  seed: number;
}

export const DEFAULT_GATE: GateConfig = { latency: 0.05, f1: 0.01, agreement: 0.01, size: 0.01, confidence: 0.95, test: 'bootstrap', resamples: 2000, seed: 1 };

export type Verdict = 'regression' | 'improvement' | 'unchanged';
export type Category = Verdict | 'new' | 'missing' | 'incomparable';

/** The order in which categories are counted and printed. */
export const CATEGORIES: readonly Category[] = ['regression', 'missing', 'incomparable', 'improvement', 'unchanged', 'new'];

export interface LatencyResult {
  baseP50: number;
  curP50: number;
  ratio: number;
  lo: number;
  hi: number;
  confidence: number;
  /** Two-sided Mann–Whitney p-value. */
  p: number;
  nBase: number;
  nCur: number;
  /** What the interval resampled or counted as independent units. */
  unit: LatencyUnit;
  /** Sessions per side (1 when the files say nothing). */
  sessionsBase: number;
  sessionsCur: number;
  significant: boolean;
  verdict: Verdict;
}

/**
 * - rounds: interleaved A/B rounds, paired; - sessions: per-session medians (stored runs, ≥ 3
 * sessions in all); - blocks / samples: one session per side, blocks of consecutive runs or single
 * runs (sorted, older files): blind to a session's own bias.
 */
export type LatencyUnit = 'rounds' | 'sessions' | 'blocks' | 'samples';

/** How a cell's samples are laid out, when they are not one session of independent runs. */
export interface SampleLayout {
  /** Interleaved A/B: rounds of this many runs, paired between the sides. */
  roundSize?: number;
  /** Stored runs: runs per session, in order, per side. */
  baseSessions?: number[];
  curSessions?: number[];
}

/** The note a stored comparison of one session per side carries: honest about what it cannot see. */
export const ONE_SESSION_NOTE = 'one session per side: the CI cannot see a session\'s own bias (±5–20% on a shared machine); measure with `bench --sessions 5`';

export interface DeltaResult {
  base: number;
  cur: number;
  /** cur - base (absolute) for F1 and agreement; cur / base - 1 for size. */
  change: number;
  verdict: Verdict;
}

export interface CellResult {
  key: CellKey;
  category: Category;
  /** Why it is not unchanged, in words: 'latency +12.0% [+9.1%, +15.2%]', 'status ok -> crashed'. */
  reasons: string[];
  baseStatus?: string;
  curStatus?: string;
  latency?: LatencyResult;
  macroF1?: DeltaResult;
  agreementFp32?: DeltaResult;
  /** Where neither side has agreement_fp32 (a map, an integer output): close_fraction, same threshold. */
  closeFraction?: DeltaResult;
  modelBytes?: DeltaResult;
  /** Why latency was not compared, when it was not. */
  note?: string;
  /** Metrics present on one side only, so not judged: 'model_bytes (blank in current)'. */
  notJudged?: string[];
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** Blocks per side when stored samples are in the order taken (see ratioOfMediansBlocks). */
export const STORED_BLOCKS = 20;

/**
 * `layout.roundSize`: interleaved A/B rounds, resampled paired. Otherwise stored runs: sessions as
 * the unit when there are 3 or more in all; else blocks of consecutive samples when both are in
 * the order taken, single samples when either was stored sorted (older melbench wrote them so,
 * and sorted blocks would be quantile bands, not time).
 */
export function compareLatency(base: number[], cur: number[], cfg: GateConfig, layout: SampleLayout = {}): LatencyResult {
  const boot: BootstrapOptions = { confidence: cfg.confidence, resamples: cfg.resamples, seed: cfg.seed };
  const bs = layout.baseSessions ?? [base.length];
  const cs = layout.curSessions ?? [cur.length];
  const { p } = mannWhitney(base, cur);
  let ci: RatioCi;
  let unit: LatencyUnit;
  let up: boolean;
  let down: boolean;
  if (layout.roundSize || bs.length + cs.length < 3) {
    const timeOrdered = !isAscending(base) && !isAscending(cur);
    unit = layout.roundSize ? 'rounds' : timeOrdered ? 'blocks' : 'samples';
    ci = layout.roundSize ? ratioOfMediansPaired(base, cur, layout.roundSize, boot) : timeOrdered ? ratioOfMediansBlocks(base, cur, STORED_BLOCKS, boot) : ratioOfMedians(base, cur, boot);
    up = cfg.test === 'bootstrap' ? ci.lo > 1 : p < 1 - cfg.confidence && ci.ratio > 1;
    down = cfg.test === 'bootstrap' ? ci.hi < 1 : p < 1 - cfg.confidence && ci.ratio < 1;
  } else {
    unit = 'sessions';
    ci = ratioOfSessionMedians(splitSessions(base, bs), splitSessions(cur, cs), cfg.confidence);
    up = ci.lo > 1;
    down = ci.hi < 1;
  }
  const verdict: Verdict = up && ci.ratio > 1 + cfg.latency ? 'regression' : down && ci.ratio < 1 - cfg.latency ? 'improvement' : 'unchanged';
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const med = (xs: number[]) => {
    const s = sorted(xs);
    const h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  };
  return { baseP50: med(base), curP50: med(cur), ratio: ci.ratio, lo: ci.lo, hi: ci.hi, confidence: ci.confidence, p, nBase: base.length, nCur: cur.length, unit, sessionsBase: bs.length, sessionsCur: cs.length, significant: up || down, verdict };
}

/** `higherIsBetter`: F1 and agreement (absolute threshold); else size (relative threshold). */
function compareDelta(base: number, cur: number, threshold: number, higherIsBetter: boolean): DeltaResult {
  if (higherIsBetter) {
    const change = cur - base;
    return { base, cur, change, verdict: change < -threshold ? 'regression' : change > threshold ? 'improvement' : 'unchanged' };
  }
  const change = base === 0 ? (cur === 0 ? 0 : Number.POSITIVE_INFINITY) : cur / base - 1;
  return { base, cur, change, verdict: change > threshold ? 'regression' : change < -threshold ? 'improvement' : 'unchanged' };
}

/** Statuses that mean "not measured here" rather than "measured and failed". */
const NOT_MEASURED = new Set(['unavailable', 'unsupported']);

/** One paired cell (either side may be absent). */
export function compareCell(base: CellData | undefined, cur: CellData | undefined, cfg: GateConfig = DEFAULT_GATE): CellResult {
  const key = (cur ?? base)!.key;
  if (!base) return { key, category: 'new', reasons: [`new cell (${cur!.status})`], curStatus: cur!.status };
  if (!cur) {
    const was = base.status === 'ok';
    // NOTE: a cell that was not ok in the baseline had nothing to judge; its absence loses no judgement.
    return { key, category: was ? 'missing' : 'unchanged', reasons: [was ? 'status ok -> absent from current' : `absent from current (was ${base.status})`], baseStatus: base.status };
  }
  const out: CellResult = { key, category: 'unchanged', reasons: [], baseStatus: base.status, curStatus: cur.status };
  const verdicts: Verdict[] = [];
  if (base.status === 'ok' && NOT_MEASURED.has(cur.status)) {
    return { ...out, category: 'missing', reasons: [`status ok -> ${cur.status}: ${cur.error ?? 'no reason given'}`] };
  }
  if (base.status === 'ok' && cur.status === 'ok' && base.software !== cur.software) {
    const side = (d: CellData) => (d.software ? 'a software adapter' : 'hardware');
    return { ...out, category: 'incomparable', reasons: [`not comparable: measured on ${side(base)} in the baseline and on ${side(cur)} in current (software_adapter ${base.software} -> ${cur.software})`] };
  }
  const differs = base.status === 'ok' && cur.status === 'ok' ? inForceDifferences(base, cur) : [];
  if (differs.length) {
    return { ...out, category: 'incomparable', reasons: [`not comparable: measured under other conditions (${differs.join(', ')}); a latency change here would be the conditions', not the model's`] };
  }
  if (base.status === 'ok' && cur.status !== 'ok') {
    verdicts.push('regression');
    out.reasons.push(`status ok -> ${cur.status}${cur.error ? ` (${cur.error})` : ''}`);
  } else if (base.status !== 'ok' && cur.status === 'ok') {
    verdicts.push('improvement');
    out.reasons.push(`status ${base.status} -> ok`);
  }
  if (base.status === 'ok' && cur.status === 'ok') {
    if (base.software && cur.software) out.note = 'software adapter: latency not compared';
    else if (base.samples?.length && cur.samples?.length) {
      const paired = base.roundSize && base.roundSize === cur.roundSize && base.samples.length === cur.samples.length ? base.roundSize : undefined;
      const layout: SampleLayout = paired ? { roundSize: paired } : { ...(base.sessions ? { baseSessions: base.sessions } : {}), ...(cur.sessions ? { curSessions: cur.sessions } : {}) };
      const l = compareLatency(base.samples, cur.samples, cfg, layout);
      out.latency = l;
      if (l.unit === 'blocks' || l.unit === 'samples') out.note = ONE_SESSION_NOTE;
      verdicts.push(l.verdict);
      if (l.verdict !== 'unchanged') out.reasons.push(`latency ${pct(l.ratio - 1)} [${pct(l.lo - 1)}, ${pct(l.hi - 1)}]`);
    }
  }
  const noAgreement = base.agreementFp32 === undefined && cur.agreementFp32 === undefined;
  type Gate = [keyof CellResult & ('macroF1' | 'agreementFp32' | 'closeFraction' | 'modelBytes'), number | undefined, number | undefined, number, boolean, string];
  const fidelity: Gate =
    noAgreement && (base.closeFraction !== undefined || cur.closeFraction !== undefined)
      ? ['closeFraction', base.closeFraction, cur.closeFraction, cfg.agreement, true, 'close_fraction']
      : ['agreementFp32', base.agreementFp32, cur.agreementFp32, cfg.agreement, true, 'agreement_fp32'];
  const gates: Gate[] = [['macroF1', base.macroF1, cur.macroF1, cfg.f1, true, 'macro-F1'], fidelity, ['modelBytes', base.modelBytes, cur.modelBytes, cfg.size, false, 'model_bytes']];
  for (const [field, b, c, threshold, higher, name] of gates) {
    if (b === undefined || c === undefined) {
      if (b !== c) (out.notJudged ??= []).push(`${field === 'macroF1' ? 'macro_f1' : name} (blank in ${b === undefined ? 'the baseline' : 'current'})`);
      continue;
    }
    const d = compareDelta(b, c, threshold, higher);
    out[field] = d;
    verdicts.push(d.verdict);
    if (d.verdict !== 'unchanged') out.reasons.push(higher ? `${name} ${b.toFixed(4)} -> ${c.toFixed(4)}` : `${name} ${b} -> ${c} (${pct(d.change)})`);
  }
  out.category = verdicts.includes('regression') ? 'regression' : verdicts.includes('improvement') ? 'improvement' : 'unchanged';
  return out;
}

/** Pairs two runs' cells by key; the keys are assumed unique per run (load-run.ts checks). */
export function compareRuns(base: CellData[], cur: CellData[], cfg: GateConfig = DEFAULT_GATE): CellResult[] {
  const byKey = new Map(cur.map((c) => [keyString(c.key), c]));
  const out = base.map((b) => {
    const k = keyString(b.key);
    const c = byKey.get(k);
    byKey.delete(k);
    return compareCell(b, c, cfg);
  });
  for (const c of byKey.values()) out.push(compareCell(undefined, c, cfg));
  return out;
}

/**
 * Columns that describe the machine and software a row was measured on. Compared between the two
 * runs when both files have them; more may be added to the CSV, so `ort_*`, `cpu_*`, `memory*`
 * and `adapter*` columns are included by name. (The harness's own commit is not: it differs by design.)
 */
const FINGERPRINT = /^(cpu|cores|node|os|device|ort_version|ort_.+|cpu_.+|memory.*|adapter.*|webgpu_adapter.*)$/;

export interface FingerprintDiff {
  column: string;
  base: string;
  cur: string;
  /** Cells where it differs. */
  cells: number;
}

/** Fields that differ between paired rows; one entry per (column, base value, current value). */
export function fingerprintDiffs(pairs: [Record<string, string>, Record<string, string>][]): FingerprintDiff[] {
  const out = new Map<string, FingerprintDiff>();
  for (const [b, c] of pairs) {
    for (const column of Object.keys(b)) {
      if (!FINGERPRINT.test(column) || !(column in c)) continue;
      if (b[column] === c[column]) continue;
      const id = `${column}\u0000${b[column]}\u0000${c[column]}`;
      const d = out.get(id) ?? { column, base: b[column], cur: c[column], cells: 0 };
      d.cells++;
      out.set(id, d);
    }
  }
  return [...out.values()];
}

export interface GateRules {
  /** `--allow-missing`: missing and incomparable cells are reported, not failed. */
  allowMissing: boolean;
}

/** Whether the gate fails: a regression, or a baseline cell it could not judge (unless allowed). */
export function gateFails(results: CellResult[], rules: GateRules = { allowMissing: false }): boolean {
  return results.some((r) => r.category === 'regression' || (!rules.allowMissing && (r.category === 'missing' || r.category === 'incomparable')));
}

/** Cells where both runs had something to judge: a paired cell that is not missing, incomparable or new. */
export const judgedCells = (results: CellResult[]): CellResult[] =>
  results.filter((r) => (r.category === 'regression' || r.category === 'improvement' || r.category === 'unchanged') && r.baseStatus !== undefined && r.curStatus !== undefined && (r.baseStatus === 'ok' || r.curStatus === 'ok'));
