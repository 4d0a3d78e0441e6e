/**
 * What `compare` prints and exports, from the gate's results (compare.ts):
 * - a Markdown report (for the terminal and GitHub's job summary): one table per category;
 * - JSON: the results as they are, plus the fingerprint differences;
 * - Bencher Metric Format (BMF, https://bencher.dev/docs/reference/bencher-metric-format):
 *   `{ "<benchmark>": { "<measure>": { value, lower_value?, upper_value? } } }`; the built-in
 *   `latency` measure is in nanoseconds, `file-size` in bytes; `macro-f1` and `agreement-fp32`
 *   are measures Bencher creates by name;
 * - github-action-benchmark's `customSmallerIsBetter`: a JSON array of
 *   `{ name, unit, value, range?, extra? }`. Only smaller-is-better metrics go there (p50 latency in
 *   ms, model bytes); F1 and agreement would need `customBiggerIsBetter`, another file.
 * Exports describe the current run (the value CI tracks over time); lower/upper and range are the
 * distribution-free CI of its median (stats.ts).
 */
import { CATEGORIES, type CellData, type CellResult, type Category, cellLabel, type FingerprintDiff } from './compare.ts';
import { mdCell as esc, mdText as escText } from './markdown-text.ts';
import { medianCi } from './stats.ts';

const TITLES: Record<Category, string> = { regression: 'Regressions', missing: 'Missing', incomparable: 'Not comparable', improvement: 'Improvements', unchanged: 'Unchanged', new: 'New' };
/** How the summary line names a count of each category. */
const COUNTED: Record<Category, string> = { regression: 'regression(s)', missing: 'missing', incomparable: 'incomparable', improvement: 'improvement(s)', unchanged: 'unchanged', new: 'new' };
/** Categories that fail the gate (missing and incomparable unless --allow-missing): bold in the summary. */
const FAILING = new Set<Category>(['regression', 'missing', 'incomparable']);

const num = (x: number, digits = 3) => String(Number(x.toPrecision(digits)));
const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
/** A label in a code span: backticks cannot end it early. */
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/[\r\n]+/g, ' ')}\``;

function latencyCells(r: CellResult): [string, string] {
  const l = r.latency;
  if (!l) return [r.note ?? '', ''];
  return [`${num(l.baseP50)} → ${num(l.curP50)}`, `${l.ratio.toFixed(3)} [${l.lo.toFixed(3)}, ${l.hi.toFixed(3)}]${l.significant ? '' : ' (n.s.)'}`];
}

const delta = (d: CellResult['macroF1']) => (d ? `${d.base.toFixed(3)} → ${d.cur.toFixed(3)}` : '');

export interface ReportHeader {
  title: string;
  baseLabel: string;
  curLabel: string;
  confidence: number;
  test: string;
  latencyThreshold: number;
}

/**
 * What the latency intervals counted as independent, in words: sessions (t interval over
 * per-session medians), rounds (paired bootstrap), and a warning for cells of one session per
 * side, whose interval cannot see a session's own bias.
 */
export function unitLines(results: CellResult[]): string[] {
  const ls = results.map((r) => r.latency).filter((l) => l !== undefined);
  const out: string[] = [];
  const sessions = ls.filter((l) => l.unit === 'sessions');
  if (sessions.length) {
    const counts = [...new Set(sessions.map((l) => `${l.sessionsBase}/${l.sessionsCur}`))].join(', ');
    out.push(`Stored runs in sessions (baseline/current: ${counts}): ${sessions.length} cell(s) tested with sessions as the unit (t interval on per-session medians).`);
  }
  const one = ls.filter((l) => l.unit === 'blocks' || l.unit === 'samples').length;
  if (one) out.push(`> ⚠️ ${one} cell(s) compared with one session per side: the CI resamples runs within one session and cannot see a session's own bias (±5–20% on a shared machine), so a latency flag may be a false positive. Measure both runs with \`bench --sessions 5\`, or gate latency with \`compare --models\`.`);
  return out;
}

/** Counts per category, in CATEGORIES order: the summary says what the tables hold. */
export function categoryCounts(results: CellResult[]): Record<Category, number> {
  const out = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const r of results) out[r.category]++;
  return out;
}

/** 'model_bytes not judged in 3 cell(s) (blank in current)': metrics the gate could not compare. */
export function notJudgedLines(results: CellResult[]): string[] {
  const by = new Map<string, number>();
  for (const r of results) for (const m of r.notJudged ?? []) by.set(m, (by.get(m) ?? 0) + 1);
  return [...by].map(([m, n]) => {
    const [metric, why] = [m.slice(0, m.indexOf(' (')), m.slice(m.indexOf(' (') + 1)];
    return `${metric} not judged in ${n} cell(s) ${why}.`;
  });
}

export function markdownReport(results: CellResult[], fingerprint: FingerprintDiff[], h: ReportHeader): string {
  const counts = categoryCounts(results);
  const summary = CATEGORIES.map((c) => (FAILING.has(c) && counts[c] ? `**${counts[c]} ${COUNTED[c]}**` : `${counts[c]} ${COUNTED[c]}`));
  const lines = [
    `## ${esc(h.title)}`,
    '',
    `Baseline ${code(h.baseLabel)}, current ${code(h.curLabel)}. Latency: ratio of medians (current / baseline) with its ${Math.round(h.confidence * 100)}% CI; flagged when above ${signedPct(h.latencyThreshold)} and significant (${h.test}).`,
    '',
    `${summary.join(', ')}.`,
  ];
  const judged = notJudgedLines(results);
  if (judged.length) lines.push('', ...judged.map((l) => `> ${l}`));
  const lines2 = unitLines(results);
  if (lines2.length) lines.push('', ...lines2);
  if (fingerprint.length) {
    lines.push('', `> ⚠️ Different environment: ${fingerprint.map((d) => `${code(d.column)} ${esc(d.base || '(empty)')} → ${esc(d.cur || '(empty)')}`).join('; ')}. Latency across machines is not comparable.`);
  }
  for (const cat of CATEGORIES) {
    const rs = results.filter((r) => r.category === cat);
    if (!rs.length) continue;
    lines.push('', `### ${TITLES[cat]}`, '', '| cell | status | p50 ms | latency ratio [CI] | macro-F1 | agreement | model bytes | why |', '|---|---|---|---|---|---|---|---|');
    for (const r of rs) {
      const status = r.baseStatus && r.curStatus && r.baseStatus !== r.curStatus ? `${r.baseStatus} → ${r.curStatus}` : (r.curStatus ?? r.baseStatus ?? '');
      const [p50, ratio] = latencyCells(r);
      const bytes = r.modelBytes ? `${r.modelBytes.base} → ${r.modelBytes.cur}` : '';
      lines.push(`| ${esc(cellLabel(r.key))} | ${esc(status)} | ${escText(p50)} | ${ratio} | ${delta(r.macroF1)} | ${r.agreementFp32 || !r.closeFraction ? delta(r.agreementFp32) : `~${delta(r.closeFraction)}`} | ${bytes} | ${escText(r.reasons.join('; '))} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function jsonReport(results: CellResult[], fingerprint: FingerprintDiff[], h: ReportHeader): object {
  return {
    baseline: h.baseLabel,
    current: h.curLabel,
    confidence: h.confidence,
    test: h.test,
    summary: categoryCounts(results),
    notJudged: notJudgedLines(results),
    fingerprint,
    cells: results.map((r) => ({ cell: cellLabel(r.key), ...r })),
  };
}

/** Benchmark names for the exports: 'model/variant/runtime/b1/t0/preset'. */
export const benchmarkName = ({ key: k }: CellData): string => `${k.model}/${k.variant}/${k.runtime}/b${k.batch}/t${k.threads}/${k.preset}`;

export function bencherMetricFormat(cells: CellData[], confidence: number): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> = {};
  for (const c of cells) {
    if (c.status !== 'ok') continue;
    const m: Record<string, { value: number; lower_value?: number; upper_value?: number }> = {};
    if (c.samples?.length && !c.software) {
      const ci = medianCi(c.samples, confidence);
      m.latency = { value: ci.value * 1e6, lower_value: ci.lo * 1e6, upper_value: ci.hi * 1e6 };
    }
    if (c.modelBytes !== undefined) m['file-size'] = { value: c.modelBytes };
    if (c.macroF1 !== undefined) m['macro-f1'] = { value: c.macroF1 };
    if (c.agreementFp32 !== undefined) m['agreement-fp32'] = { value: c.agreementFp32 };
    if (Object.keys(m).length) out[benchmarkName(c)] = m;
  }
  return out;
}

export interface GabEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

export function githubActionBenchmark(cells: CellData[], confidence: number): GabEntry[] {
  const out: GabEntry[] = [];
  for (const c of cells) {
    if (c.status !== 'ok') continue;
    const name = benchmarkName(c);
    if (c.samples?.length && !c.software) {
      const ci = medianCi(c.samples, confidence);
      const half = Math.max(ci.value - ci.lo, ci.hi - ci.value);
      out.push({ name: `${name} p50`, unit: 'ms', value: Number(ci.value.toPrecision(6)), range: `± ${Number(half.toPrecision(3))}`, extra: `${c.samples.length} samples; ${Math.round(confidence * 100)}% CI of the median [${num(ci.lo, 4)}, ${num(ci.hi, 4)}] ms` });
    }
    if (c.modelBytes !== undefined) out.push({ name: `${name} model bytes`, unit: 'bytes', value: c.modelBytes });
  }
  return out;
}
