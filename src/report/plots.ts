/**
 * The report's charts: vega-lite specs, compiled to vega and rendered to SVG headless in Node by
 * vega's `View#toSVG()` (renderer 'none': no canvas, no DOM, no network). Every spec carries its
 * data inline, so the SVG is the whole chart and the page needs no script.
 *
 * Each builder takes the plain points of src/report/figures.ts and returns a spec; `renderSvg`
 * turns any spec into an SVG string. vega-lite's warnings (e.g. a dropped encoding) are bugs in
 * these specs: they fail the render rather than silently drawing less.
 */
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { InternalError } from '../errors.ts';
import type { ConfusionGroup, LatencyPoint, OpTime, PrunePoint, QuantCell, RecallCell, SizePoint } from './figures.ts';

const WIDTH = 560;
const FALLBACK_COLOR = '#d62728';
const NATIVE_COLOR = '#4c78a8';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12, labelLimit: 300 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 300 },
  view: { stroke: '#ddd' },
};

/**
 * vega-lite warns that layered panels with independent scales union a field "from different
 * sources" whenever a facet's layers share one inline data set: here they always do, so the
 * assumption it states holds.
 */
const BENIGN = [/^Detected faceted independent scales that union domain of the same fields from different source/];

/** A vega logger that keeps warnings and errors (except the benign ones) instead of printing them. */
function collectingLogger(vega: typeof Vega, sink: string[]): Vega.LoggerInterface {
  let level = vega.Warn;
  const logger: Vega.LoggerInterface = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: unknown[]) {
      sink.push(args.map(String).join(' '));
      return logger;
    },
    warn(...args: unknown[]) {
      const msg = args.map(String).join(' ');
      if (!BENIGN.some((re) => re.test(msg))) sink.push(msg);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/**
 * Panels stacked vertically, one per group, each with its own data and y axis.
 * NOTE: a `facet: row` with independent nominal y scales would say the same, but vega-lite 6.4
 * compiles its row headers to an expression vega 6.4 cannot evaluate ("datum is not defined").
 */
function stacked<T>(title: string, groups: Map<string, T[]>, panel: (values: T[]) => Record<string, unknown>): TopLevelSpec {
  return {
    title,
    vconcat: [...groups].map(([label, values]) => ({ title: { text: label, anchor: 'start', fontSize: 12 }, data: { values }, ...panel(values) })),
  } as TopLevelSpec;
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/** vega and vega-lite, loaded on first use: they take about 0.4 s to import, which no other command should pay. */
let libraries: Promise<[typeof Vega, typeof import('vega-lite')]> | undefined;

/** Compiles a vega-lite spec and renders it to an SVG string, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await (libraries ??= Promise.all([import('vega'), import('vega-lite')]));
  const messages: string[] = [];
  const logger = collectingLogger(vega, messages);
  const { spec: vg } = compile({ config: CONFIG, ...spec } as TopLevelSpec, { logger });
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger });
  try {
    const svg = await view.runAsync().then(() => view.toSVG());
    if (messages.length) throw new InternalError(`chart '${(spec as { title?: unknown }).title ?? '(untitled)'}': ${messages.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/** Median (point) with a p10–p90 whisker per model (and variant) and runtime; a panel per model when it has several variants, a column per batch. */
export function latencySpec(points: LatencyPoint[]): TopLevelSpec {
  const severalVariants = new Set(points.map((p) => p.label)).size > new Set(points.map((p) => p.model)).size;
  const batches = new Set(points.map((p) => p.batch)).size;
  const values = points.map((p) => ({ ...p, adapter: p.software ? 'software (correctness only)' : 'hardware' }));
  const anySoftware = points.some((p) => p.software);
  // One log scale for every panel, so panels compare by eye (linear if a 0 ms sample makes log impossible).
  const domain = [Math.min(...points.map((p) => p.p10)) * 0.9, Math.max(...points.map((p) => p.p90)) * 1.1];
  const log = domain[0] > 0;
  const layer = {
    encoding: {
      y: { field: severalVariants ? 'variant' : 'model', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'runtime', type: 'nominal' },
      color: { field: 'runtime', type: 'nominal', title: 'runtime' },
    },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: { field: 'p10', type: 'quantitative', scale: log ? { type: 'log', domain } : { zero: true }, title: `latency, ms${log ? ' (log)' : ''}: median, p10–p90` }, x2: { field: 'p90' } } },
      {
        mark: { type: 'point', size: 40, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'p50', type: 'quantitative' },
          shape: { field: 'adapter', type: 'nominal', title: 'adapter', scale: { domain: ['hardware', 'software (correctness only)'], range: ['circle', 'diamond'] }, ...(anySoftware ? {} : { legend: null }) },
          fill: { field: 'runtime', type: 'nominal' },
        },
      },
    ],
  };
  const facet: Record<string, unknown> = {};
  // NOTE: panels share the y scale (the union of variant names): independent nominal y scales in a
  // row facet hit the vega-lite 6.4 bug described at `stacked`, and concatenated panels cost about
  // twice the render time of one facet on a 1,200-row run.
  if (severalVariants) facet.row = { field: 'model', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } };
  if (batches > 1) facet.column = { field: 'batch', type: 'ordinal', title: 'batch' };
  const unit = { width: batches > 1 ? Math.max(220, WIDTH / batches) : WIDTH, height: { step: 9 }, ...layer };
  const body = Object.keys(facet).length ? { facet, spec: unit } : unit;
  return { title: 'Latency per model and runtime', data: { values }, ...body } as TopLevelSpec;
}

/** Seed 000's Figure 6: size (KB) against macro-F1, one point per model variant, coloured by technique. */
export function sizeF1Spec(points: SizePoint[]): TopLevelSpec {
  const kbs = points.map((p) => p.kb);
  const log = Math.max(...kbs) / Math.max(1e-9, Math.min(...kbs)) > 20;
  return {
    title: 'Size vs macro-F1',
    data: { values: points },
    width: WIDTH,
    height: 320,
    mark: { type: 'point', filled: true, size: 90, opacity: 0.85 },
    encoding: {
      x: { field: 'kb', type: 'quantitative', title: `size, KB (1000 bytes)${log ? ', log' : ''}`, scale: log ? { type: 'log' } : { zero: false } },
      y: { field: 'f1', type: 'quantitative', title: 'macro-F1', scale: { zero: false } },
      color: { field: 'technique', type: 'nominal', title: 'technique', scale: { scheme: 'category20' } },
      shape: { field: 'model', type: 'nominal', title: 'model' },
    },
  } as TopLevelSpec;
}

/**
 * A heatmap over calibration × setting (the variant without its calibration), a row of panels
 * per model and, for latency, a column per runtime. `diverging` centres the colours on 1.
 */
export function heatmapSpec(cells: QuantCell[], opts: { title: string; legend: string; format: string; diverging: boolean }): TopLevelSpec {
  const vals = cells.map((c) => c.value);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  // NOTE: the text's ink flips to white on the darker half of the colour scale, for contrast.
  const dark = (v: number) => (opts.diverging ? Math.abs(Math.log(v)) > Math.max(Math.abs(Math.log(lo)), Math.abs(Math.log(hi))) / 2 : hi > lo && (v - lo) / (hi - lo) > 0.6);
  const values = cells.map((c) => ({ ...c, dark: dark(c.value) }));
  const color = opts.diverging
    ? { field: 'value', type: 'quantitative', title: opts.legend, scale: { type: 'log', scheme: 'blueorange', domainMid: 1, domain: [Math.min(lo, 1), Math.max(hi, 1)] } }
    : { field: 'value', type: 'quantitative', title: opts.legend, scale: { scheme: 'greens', domain: [lo, hi] } };
  const unit = {
    width: { step: 70 },
    height: { step: 22 },
    encoding: {
      x: { field: 'calibration', type: 'nominal', title: 'calibration', axis: { labelAngle: 0 } },
      y: { field: 'setting', type: 'nominal', title: null },
    },
    layer: [
      { mark: 'rect', encoding: { color } },
      { mark: { type: 'text', fontSize: 11 }, encoding: { text: { field: 'value', type: 'quantitative', format: opts.format }, color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' } } },
    ],
  };
  const facet: Record<string, unknown> = { row: { field: 'model', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } } };
  if (cells.some((c) => c.runtime)) facet.column = { field: 'runtime', type: 'nominal', title: null };
  return { title: opts.title, data: { values }, facet, spec: unit } as TopLevelSpec;
}

/** One line per pruning method over prune ratio (0 = the fp32 model), a panel per model. */
export function pruneSpec(points: PrunePoint[], opts: { title: string; yTitle: string; logY?: boolean }): TopLevelSpec {
  const perRuntime = points.some((p) => p.runtime);
  return {
    title: opts.title,
    data: { values: points },
    facet: { column: { field: 'model', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'ratio', type: 'quantitative', title: 'prune ratio', axis: { format: '.0%' } },
        y: { field: 'value', type: 'quantitative', title: opts.yTitle, scale: opts.logY && points.every((p) => p.value > 0) ? { type: 'log' } : { zero: false } },
        color: { field: 'method', type: 'nominal', title: 'method' },
        ...(perRuntime ? { strokeDash: { field: 'runtime', type: 'nominal', title: 'runtime' } } : {}),
        detail: { field: 'runtime', type: 'nominal' },
      },
    },
  } as TopLevelSpec;
}

/**
 * Confusion matrices C[true][pred] of one class list, a panel per model variant: colour is the
 * row-normalised fraction (recall of the true class), the text the count.
 */
export function confusionSpec(groups: ConfusionGroup[]): TopLevelSpec {
  const classes = groups[0].classes;
  const values = groups.flatMap((g) => {
    const panel = `${g.model} · ${g.variant} (${g.runtimes.join(', ')})`;
    return g.matrix.flatMap((row, t) => {
      const total = row.reduce((s, v) => s + v, 0);
      return row.map((count, p) => ({ panel, truth: classes[t], pred: classes[p], count, frac: total ? count / total : 0 }));
    });
  });
  const step = classes.length > 16 ? 14 : 22;
  return {
    title: 'Confusion matrices (colour: fraction of the true class; text: clips)',
    data: { values },
    facet: { field: 'panel', type: 'nominal', title: null, sort: null, header: { labelFontWeight: 'bold' } },
    columns: classes.length > 8 ? 2 : 3,
    spec: {
      width: { step },
      height: { step },
      encoding: {
        x: { field: 'pred', type: 'nominal', sort: classes, title: 'predicted', axis: { labelAngle: -45 } },
        y: { field: 'truth', type: 'nominal', sort: classes, title: 'true' },
      },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'frac', type: 'quantitative', title: 'fraction', scale: { scheme: 'blues', domain: [0, 1] } } } },
        {
          mark: { type: 'text', fontSize: step > 16 ? 10 : 8 },
          transform: [{ filter: 'datum.count > 0' }],
          encoding: {
            text: { field: 'count', type: 'quantitative' },
            color: { condition: { test: 'datum.frac > 0.5', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Recall of each class (rows of the confusion matrix, normalised) for every variant, a panel per model. */
export function recallSpec(cells: RecallCell[]): TopLevelSpec {
  const classes = [...new Set(cells.map((c) => c.cls))];
  const lo = Math.min(...cells.map((c) => c.recall));
  return {
    title: 'Per-class recall of every variant',
    data: { values: cells },
    facet: { row: { field: 'model', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } } },
    spec: {
      width: { step: 20 },
      height: { step: 14 },
      mark: 'rect',
      encoding: {
        x: { field: 'cls', type: 'nominal', sort: classes, title: 'true class', axis: { labelAngle: -45 } },
        y: { field: 'variant', type: 'nominal', title: null, sort: null },
        color: { field: 'recall', type: 'quantitative', title: 'recall', scale: { scheme: 'blues', domain: [Math.min(lo, 0.99), 1] } },
      },
    },
  } as TopLevelSpec;
}

/** Time per op type in each profiled cell; op types that ran on another provider than asked in red. */
export function opTimeSpec(ops: OpTime[]): TopLevelSpec {
  const values = ops.map((o) => ({ ...o, where: o.fallback ? 'fallback: another provider' : 'the provider asked for' }));
  return stacked('Per-op time (µs per run), fallback nodes in red', groupBy(values, (o) => o.cell), () => ({
    width: WIDTH - 140,
    height: { step: 14 },
    mark: 'bar',
    encoding: {
      y: { field: 'opType', type: 'nominal', title: null, sort: { op: 'sum', field: 'timeUs', order: 'descending' } },
      x: { aggregate: 'sum', field: 'timeUs', type: 'quantitative', title: 'µs per run' },
      color: { field: 'where', type: 'nominal', title: null, scale: { domain: ['the provider asked for', 'fallback: another provider'], range: [NATIVE_COLOR, FALLBACK_COLOR] } },
    },
  }));
}

/** Two runs' latency samples of one cell. */
export interface SampleDistribution {
  cell: string;
  baselineSamplesMs: number[];
  currentSamplesMs: number[];
}

/** Baseline and current samples of each flagged compare cell: a box (min–max whiskers) over a strip of every sample. */
export function sampleDistributionSpec(cells: SampleDistribution[]): TopLevelSpec {
  const values = cells.flatMap((c) => [
    ...c.baselineSamplesMs.map((ms) => ({ cell: c.cell, run: 'baseline', ms })),
    ...c.currentSamplesMs.map((ms) => ({ cell: c.cell, run: 'current', ms })),
  ]);
  return stacked('Latency samples of the flagged cells', groupBy(values, (v) => v.cell), () => ({
    width: WIDTH - 140,
    height: { step: 26 },
    encoding: {
      y: { field: 'run', type: 'nominal', title: null, sort: ['baseline', 'current'] },
      x: { field: 'ms', type: 'quantitative', title: 'ms', scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: null, scale: { domain: ['baseline', 'current'], range: ['#8c8c8c', '#e45756'] } },
    },
    layer: [
      { mark: { type: 'tick', opacity: 0.35, thickness: 1 } },
      { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.45, size: 16 } },
    ],
  }));
}
