/**
 * The HTML report, opened in a real browser: headless Chromium (Debian's /usr/bin/chromium) through
 * playwright-core. A realistic fixture run (CSV written by CsvReport with columns.ts's header, raw
 * samples, confusion matrices, a profile with one fallback node) and a compare result are rendered;
 * the page must show every chart with marks, log no console error and request nothing but itself.
 * A full-page screenshot is left in reports/report-test.png as an artifact.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../benchmarks/report-synthetic.ts';
import { renderReport } from '../../src/report/html.ts';
import { loadReportInputs } from '../../src/report/report-inputs.ts';

const CHROMIUM = '/usr/bin/chromium';
// The flags of ../shared/ENVIRONMENT.md: no sandbox (containers), and nothing that phones home.
const FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const ARTIFACT = new URL('../../reports/report-test.png', import.meta.url).pathname;

const COMPARE = {
  baseline: 'reports/baselines/ci.csv',
  current: 'reports/fixture.csv',
  regressions: [
    {
      cell: 'resnet fp32 cpu b1',
      category: 'regression',
      reasons: ['latency +12.0% [+9.1%, +15.2%]'],
      baselineP50Ms: 1.4,
      currentP50Ms: 1.57,
      ratio: 1.12,
      ci: [1.091, 1.152] as [number, number],
      p: 1e-4,
      baselineSamplesMs: Array.from({ length: 40 }, (_, i) => 1.35 + 0.003 * i),
      currentSamplesMs: Array.from({ length: 40 }, (_, i) => 1.5 + 0.004 * i),
    },
  ],
};

/** Every chart the fixture has data for. */
const EXPECTED_CHARTS = ['latency', 'size-f1', 'quant-f1', 'quant-latency', 'prune-f1', 'prune-macs', 'prune-latency', 'confusion', 'recall', 'profile', 'compare-samples'];

describe('HTML report in headless Chromium', () => {
  it('shows every chart with marks, logs no error and requests nothing outside the file', async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
    const dir = mkdtempSync(join(tmpdir(), 'melbench-report-browser-'));
    const { csvPath, rows } = writeSyntheticRun(dir, 'fixture');
    const html = await renderReport(loadReportInputs(csvPath), { compare: COMPARE });
    const page = join(dir, 'fixture', 'index.html');
    mkdirSync(join(dir, 'fixture'));
    writeFileSync(page, html);
    const url = pathToFileURL(page).href;

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      tab.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      tab.on('request', (r) => requests.push(r.url()));
      // Anything but the page itself is refused (and recorded above), so a leak cannot go unseen.
      await tab.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
      await tab.goto(url, { waitUntil: 'load' });

      const charts = await tab.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            name: f.getAttribute('data-chart'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            // Data marks: the items vega draws inside its role-mark groups (not axes or legends).
            marks: svg ? svg.querySelectorAll('g.role-mark > path, g.role-mark > line, g.role-mark > text, g.role-mark > rect').length : 0,
          };
        }),
      );
      expect([...new Set(charts.map((c) => c.name))].sort()).toEqual([...EXPECTED_CHARTS].sort());
      for (const c of charts) {
        expect(c.width, `${c.name} width`).toBeGreaterThan(100);
        expect(c.height, `${c.name} height`).toBeGreaterThan(50);
        expect(c.marks, `${c.name} marks`).toBeGreaterThan(0);
      }
      // Latency: one point per ok row (the fixture's samples all parsed).
      const points = await tab.$$eval('figure[data-chart="latency"] [aria-roledescription="point"]', (ps) => ps.length);
      expect(points).toBe(rows - 1);
      // The fallback node is drawn in red and listed by name.
      expect(await tab.locator('figure[data-chart="profile"] g.role-mark > path[fill="#d62728"]').count()).toBe(1);
      expect(await tab.locator('#profile table').innerText()).toContain('block1/add');
      // The summary names the row that is not ok, with its reason.
      expect(await tab.locator('#summary').innerText()).toContain('no WebGPU adapter (No supported adapters)');

      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);

      mkdirSync(join(ARTIFACT, '..'), { recursive: true });
      await tab.screenshot({ path: ARTIFACT, fullPage: true });
      expect(existsSync(ARTIFACT)).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

describe('HTML report sections', () => {
  it('leave out what a run has no data for: a plain bench run has summary and latency only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-report-sections-'));
    const { csvPath } = writeSyntheticRun(dir, 'bench', { ratios: [], calibrations: [], profile: false });
    // A plain bench: fp32 rows only, no F1, no confusion matrices.
    const inputs = loadReportInputs(csvPath);
    inputs.rows = inputs.rows.filter((r) => r.variant === 'fp32').map((r) => ({ ...r, macro_f1: '' }));
    inputs.confusion = [];
    const html = await renderReport(inputs);
    const charts = [...html.matchAll(/data-chart="([a-z0-9-]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual(['latency']);
    expect([...html.matchAll(/<section id="([a-z0-9-]+)"/g)].map((m) => m[1])).toEqual(['summary', 'latency']);
    // Self-contained: no script, no external reference of any kind.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|https?:\/\/(?!www\.w3\.org\/)/i);
  });
});
