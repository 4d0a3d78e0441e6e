/**
 * The HTML report of a run: one self-contained page (inline CSS and SVG, no script, no font, no
 * image, nothing fetched; its Content-Security-Policy forbids any request), so it opens from disk
 * and can be mailed or archived as one file.
 *
 * Each section appears only when the run has its data: summary and environment (always), latency,
 * size vs F1, quantization heatmaps, pruning curves, confusion matrices, per-op profiles, and the
 * compare section when `compare` hands one over. The numbers come from src/report/figures.ts and
 * the charts from src/report/plots.ts.
 */
import { type CompareSectionInput, renderCompareSection } from './compare-section.ts';
import {
  confusionGroups,
  environmentColumns,
  fallbackNodes,
  latencyPoints,
  opTimes,
  perClassRecall,
  pruneCurves,
  quantF1Cells,
  quantLatencyRatioCells,
  runConstants,
  sizeF1Points,
  summarize,
} from './figures.ts';
import { chart, esc, fmt, section, table } from './html-parts.ts';
import { confusionSpec, heatmapSpec, latencySpec, opTimeSpec, pruneSpec, recallSpec, renderSvg, sizeF1Spec } from './plots.ts';
import type { ReportInputs } from './report-inputs.ts';

export interface ReportOptions {
  /** The result of `melbench compare`, rendered as its own section. */
  compare?: CompareSectionInput;
}

const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 28px 48px; color: #222; }
  h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
  nav a { margin-right: 14px; } .meta { color: #555; }
  table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
  th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; } th { background: #f4f4f4; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .status-ok { color: #1a7f37; } .status-bad { color: #b42318; font-weight: 600; }
  .warn { background: #fff4e5; border-left: 4px solid #f79009; padding: 6px 10px; }
  figure.chart { margin: 12px 0 20px; overflow-x: auto; } figure.chart svg { max-width: none; }
  figcaption { color: #555; font-size: 12px; margin-top: 4px; }
  .verdict.regression { color: #b42318; font-weight: 600; } .verdict.improvement { color: #1a7f37; font-weight: 600; }
  details summary { cursor: pointer; color: #175cd3; }
  .cols { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; } .cols h3 { margin-top: 8px; }
  code { font-size: 12px; background: #f4f4f4; padding: 0 3px; }
`;

type Section = { id: string; title: string; html: string };

function summarySection(inputs: ReportInputs): Section {
  const s = summarize(inputs.rows);
  const statuses = Object.keys(s.statuses);
  const badge = (st: string) => `<span class="${st === 'ok' ? 'status-ok' : 'status-bad'}">${esc(st)}</span>`;
  const overview = table(
    ['rows', 'models', 'variants', 'runtimes', 'batches', 'statuses'],
    [[s.rows, s.models.join(', '), s.variants, s.runtimes.join(', '), s.batches.join(', '), { html: statuses.map((st) => `${badge(st)} ${s.statuses[st]}`).join(', ') }]],
  );
  const byRuntime = table(['runtime', ...statuses], s.runtimes.map((rt) => [rt, ...statuses.map((st) => s.byRuntime[rt][st] ?? 0)]));
  const failed = inputs.rows.filter((r) => r.status !== 'ok');
  const failures = failed.length
    ? `<h3>Rows that are not ok</h3>${table(['model', 'variant', 'runtime', 'batch', 'status', 'reason'], failed.map((r) => [r.model, r.variant, r.runtime, r.batch, { html: badge(r.status) }, r.error ?? '']))}`
    : '';
  const { constant, varyingEnvironment } = runConstants(inputs.header, inputs.rows);
  const envColumns = new Set(environmentColumns(inputs.header));
  const envConstant = constant.filter((c) => envColumns.has(c.column));
  const settings = constant.filter((c) => !envColumns.has(c.column));
  const env =
    `<h3>Environment</h3>${table(['column', 'value'], [...envConstant.map((c) => [c.column, c.values[0]]), ...varyingEnvironment.map((c) => [c.column, { html: `<em>varies:</em> ${esc(c.values.join(' | '))}` }])])}` +
    (settings.length ? `<p class="meta">Constant over the run: ${settings.map((c) => `<code>${esc(c.column)}</code> ${esc(c.values[0])}`).join(' · ')}</p>` : '');
  const kb = (r: Record<string, string>) => (r.model_bytes ? fmt(Number(r.model_bytes) / 1000, 4) : '');
  // A model file's variants have no labels: their quality is fidelity to the file (argmax agreement, SNR).
  // Agreement with the fp32 cpu reference, or (~) close_fraction where agreement does not apply (a map, an integer output).
  const fidelity = inputs.rows.some((r) => r.snr_db);
  const allRows = table(
    ['model', 'variant', 'runtime', 'batch', 'status', 'p50 ms', 'p90 ms', 'macro-F1', 'agree (~close)', ...(fidelity ? ['fidelity agree', 'SNR dB'] : []), 'KB', 'MMACs', 'fallback nodes'],
    inputs.rows.map((r) => [r.model, r.variant, r.runtime, r.batch, { html: badge(r.status) }, r.p50_ms ?? '', r.p90_ms ?? '', r.macro_f1 ?? '', r.agreement_fp32 || (r.close_fraction ? `~${r.close_fraction}` : ''), ...(fidelity ? [r.fidelity_agreement ?? '', r.snr_db ? (Number.isFinite(Number(r.snr_db)) ? fmt(Number(r.snr_db), 3) : r.snr_db) : ''] : []), kb(r), r.macs ? fmt(Number(r.macs) / 1e6, 4) : '', r.fallback_nodes ?? '']),
  );
  return {
    id: 'summary',
    title: 'Summary',
    html: `<div class="cols"><div>${overview}${byRuntime}</div><div>${env}</div></div>${failures}<details><summary>All ${inputs.rows.length} rows</summary>${allRows}</details>`,
  };
}

async function latencySection(inputs: ReportInputs): Promise<Section | null> {
  const points = latencyPoints(inputs);
  if (!points.length) return null;
  const fromCsv = points.filter((p) => p.source === 'csv').length;
  const notes = [
    fromCsv ? `${fromCsv} of ${points.length} cells have no raw samples: their whisker is the CSV's p50–p90.` : `From ${inputs.samples.length ? 'the raw samples' : 'the CSV'}.`,
    points.some((p) => p.software) ? 'Diamonds ran on a software GPU (SwiftShader): a correctness check, never a speed claim.' : '',
  ].filter(Boolean);
  return { id: 'latency', title: 'Latency', html: chart('latency', await renderSvg(latencySpec(points)), esc(notes.join(' '))) };
}

async function sizeSection(inputs: ReportInputs): Promise<Section | null> {
  const points = sizeF1Points(inputs.rows);
  if (!points.length) return null;
  return { id: 'size-f1', title: 'Size vs macro-F1', html: chart('size-f1', await renderSvg(sizeF1Spec(points)), 'One point per model variant (F1 of its cpu row when it has one), as seed 000\'s Figure 6.') };
}

async function quantSection(inputs: ReportInputs): Promise<Section | null> {
  const f1 = quantF1Cells(inputs.rows);
  const ratio = quantLatencyRatioCells(inputs.rows);
  if (!f1.length && !ratio.length) return null;
  let html = '';
  if (f1.length) html += chart('quant-f1', await renderSvg(heatmapSpec(f1, { title: 'Macro-F1 by quantization setting and calibration', legend: 'macro-F1', format: '.3f', diverging: false })));
  if (ratio.length) {
    html += chart(
      'quant-latency',
      await renderSvg(heatmapSpec(ratio, { title: 'Latency ratio p50 / fp32 p50 (same model, runtime, batch)', legend: '× fp32', format: '.2f', diverging: true })),
      'Below 1 (blue) is faster than the fp32 model; software-adapter rows are left out.',
    );
  }
  return { id: 'quantization', title: 'Quantization ablation', html };
}

async function pruneSection(inputs: ReportInputs): Promise<Section | null> {
  const f1 = pruneCurves(inputs.rows, 'macro_f1');
  const macs = pruneCurves(inputs.rows, 'macs').map((p) => ({ ...p, value: p.value / 1e6 }));
  const lat = pruneCurves(inputs.rows, 'p50_ms');
  if (!f1.length && !macs.length && !lat.length) return null;
  let html = '';
  if (f1.length) html += chart('prune-f1', await renderSvg(pruneSpec(f1, { title: 'Macro-F1 over prune ratio', yTitle: 'macro-F1' })));
  if (macs.length) html += chart('prune-macs', await renderSvg(pruneSpec(macs, { title: 'MACs over prune ratio', yTitle: 'MMACs per clip' })));
  if (lat.length) html += chart('prune-latency', await renderSvg(pruneSpec(lat, { title: 'Latency (p50) over prune ratio', yTitle: 'p50 ms', logY: true })));
  return { id: 'pruning', title: 'Pruning ablation', html: `${html}<p class="meta">Ratio 0 is the model's fp32 variant.</p>` };
}

/** Beyond this many matrices the section shows each model's fp32 matrix and the per-class recall chart. */
const MAX_MATRICES = 24;

async function confusionSection(inputs: ReportInputs): Promise<Section | null> {
  const groups = confusionGroups(inputs.confusion);
  if (!groups.length) return null;
  const shown = groups.length <= MAX_MATRICES ? groups : groups.filter((g) => g.reference);
  // One chart per class list (models trained on different datasets cannot share axes).
  const byClasses = new Map<string, typeof groups>();
  for (const g of shown) {
    const k = JSON.stringify(g.classes);
    byClasses.set(k, [...(byClasses.get(k) ?? []), g]);
  }
  const caption = `Runtimes whose predictions gave the same matrix share a panel.${shown.length < groups.length ? ` ${groups.length - shown.length} matrices of compressed variants are summarised in the recall chart below.` : ''}`;
  let html = '';
  for (const gs of byClasses.values()) html += chart('confusion', await renderSvg(confusionSpec(gs)), caption);
  const variantsPerModel = new Map<string, Set<string>>();
  for (const g of groups) variantsPerModel.set(g.model, (variantsPerModel.get(g.model) ?? new Set()).add(g.variant));
  if ([...variantsPerModel.values()].some((v) => v.size > 1)) html += chart('recall', await renderSvg(recallSpec(perClassRecall(inputs.confusion))), 'From the cpu matrix of each variant (or its first runtime\'s).');
  return { id: 'confusion', title: 'Confusion matrices', html };
}

async function profileSection(inputs: ReportInputs): Promise<Section | null> {
  if (!inputs.profile.length) return null;
  const ops = opTimes(inputs.profile, inputs.rows);
  const fallbacks = fallbackNodes(inputs.profile, inputs.rows);
  const list = fallbacks.length
    ? `<h3>Fallback nodes (${fallbacks.length})</h3>${table(['cell', 'node', 'op type', 'provider', 'µs per run'], fallbacks.map((f) => [f.cell, f.node, f.opType, f.provider, fmt(f.timeUs)]))}`
    : '<p>Every profiled node ran on the provider its runtime asked for.</p>';
  return { id: 'profile', title: 'Per-op profile', html: chart('profile', await renderSvg(opTimeSpec(ops))) + list };
}

/** The whole page. */
export async function renderReport(inputs: ReportInputs, opts: ReportOptions = {}): Promise<string> {
  const sections: Section[] = [summarySection(inputs)];
  for (const build of [latencySection, sizeSection, quantSection, pruneSection, confusionSection, profileSection]) {
    const s = await build(inputs);
    if (s) sections.push(s);
  }
  if (opts.compare) sections.push({ id: 'compare', title: 'Compare', html: await renderCompareSection(opts.compare) });
  const times = inputs.rows.map((r) => r.time).filter(Boolean).sort();
  const when = times.length ? `${times[0]} – ${times[times.length - 1]}` : '';
  const warnings = inputs.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('');
  const body = sections.map((s) => (s.id === 'compare' ? s.html : section(s.id, s.title, s.html))).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>melbench report: ${esc(inputs.name)}</title>
<style>${STYLE}</style></head>
<body>
<h1>melbench report: ${esc(inputs.name)}</h1>
<p class="meta">${esc(inputs.rows.length)} rows from <code>${esc(inputs.name)}.csv</code>${when ? `, measured ${esc(when)}` : ''}.</p>
<nav>${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>
${warnings}
${body}
</body></html>
`;
}
