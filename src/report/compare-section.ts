/**
 * The report section of `melbench compare`: the table of flagged cells and the latency samples of
 * each, baseline against current. Its input is plain JSON (below), so `compare` can hand over its
 * result, or save it and have it rendered later:
 *
 *   {
 *     "baseline": "reports/baselines/ci.csv",
 *     "current": "reports/run-2.csv",
 *     "regressions": [
 *       { "cell": "resnet fp32 cpu b1", "category": "regression",
 *         "reasons": ["latency +12.0% [+9.1%, +15.2%]"],
 *         "baselineP50Ms": 1.40, "currentP50Ms": 1.57, "ratio": 1.12, "ci": [1.091, 1.152], "p": 0.0001,
 *         "baselineSamplesMs": [1.41, 1.39], "currentSamplesMs": [1.58, 1.55] }
 *     ]
 *   }
 *
 * `regressions` lists every flagged cell (category regression, improvement, new or missing);
 * cells with samples on both sides get a distribution plot, the others a table row only.
 */
import { type CellData, type CellResult, cellLabel, keyString } from './compare.ts';
import { chart, esc, fmt, section, table } from './html-parts.ts';
import { renderSvg, sampleDistributionSpec } from './plots.ts';

export interface CompareCellInput {
  /** How the cell is named to a reader, e.g. 'resnet fp32 cpu b1'. */
  cell: string;
  /** 'regression' | 'improvement' | 'new' | 'missing' (any string is shown as is). */
  category: string;
  /** Why it is flagged, in words. */
  reasons: string[];
  baselineP50Ms?: number;
  currentP50Ms?: number;
  /** current p50 / baseline p50. */
  ratio?: number;
  /** Confidence interval of the ratio, [lo, hi]. */
  ci?: [number, number];
  /** p-value of the latency test. */
  p?: number;
  baselineSamplesMs: number[];
  currentSamplesMs: number[];
}

export interface CompareSectionInput {
  baseline: string;
  current: string;
  regressions: CompareCellInput[];
}

/**
 * The section's input from `compare`'s own result (compare.ts): every cell that is not
 * unchanged, with its latency test and the raw samples of both sides, found by cell key.
 */
export function compareSectionInput(results: readonly CellResult[], base: readonly CellData[], cur: readonly CellData[], baseline: string, current: string): CompareSectionInput {
  const samplesOf = (cells: readonly CellData[]) => new Map(cells.map((c) => [keyString(c.key), c.samples ?? []]));
  const baseSamples = samplesOf(base);
  const curSamples = samplesOf(cur);
  return {
    baseline,
    current,
    regressions: results
      .filter((r) => r.category !== 'unchanged')
      .map((r) => {
        const l = r.latency;
        return {
          cell: cellLabel(r.key),
          category: r.category,
          reasons: r.reasons,
          ...(l ? { baselineP50Ms: l.baseP50, currentP50Ms: l.curP50, ratio: l.ratio, ci: [l.lo, l.hi] as [number, number], p: l.p } : {}),
          baselineSamplesMs: baseSamples.get(keyString(r.key)) ?? [],
          currentSamplesMs: curSamples.get(keyString(r.key)) ?? [],
        };
      }),
  };
}

/** The section's HTML: a table of the flagged cells, and their sample distributions. */
export async function renderCompareSection(result: CompareSectionInput): Promise<string> {
  const intro = `<p>Baseline <code>${esc(result.baseline)}</code> against current <code>${esc(result.current)}</code>: ${result.regressions.length} flagged cell(s).</p>`;
  if (!result.regressions.length) return section('compare', 'Compare', `${intro}<p>No cell changed beyond the gate's thresholds.</p>`);
  const rows = result.regressions.map((c) => [
    c.cell,
    { html: `<span class="verdict ${esc(c.category)}">${esc(c.category)}</span>` },
    c.reasons.join('; '),
    fmt(c.baselineP50Ms),
    fmt(c.currentP50Ms),
    c.ratio === undefined ? '' : `${fmt(c.ratio)}${c.ci ? ` [${fmt(c.ci[0])}, ${fmt(c.ci[1])}]` : ''}`,
    c.p === undefined ? '' : c.p.toExponential(1),
  ]);
  const tbl = table(['cell', 'category', 'why', 'baseline p50 ms', 'current p50 ms', 'ratio [CI]', 'p'], rows, 'compare');
  const withSamples = result.regressions.filter((c) => c.baselineSamplesMs.length && c.currentSamplesMs.length);
  const plot = withSamples.length ? chart('compare-samples', await renderSvg(sampleDistributionSpec(withSamples)), 'Every sample as a tick; the box spans the quartiles, the whiskers min to max.') : '';
  return section('compare', 'Compare', intro + tbl + plot);
}
