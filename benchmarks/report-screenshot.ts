/**
 * The README's screenshot (docs/report.png) of a report: renders `melbench report <run.csv>` and saves the top of the
 * page (summary, then the first charts) as a PNG through headless Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core).
 *
 *   npx tsx benchmarks/report-screenshot.ts <run.csv> [-o docs/report.png] [--height 1700]
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/write-report.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const out = opt('-o', 'docs/report.png');
const height = Number(opt('--height', '1700'));
const csv = args[0];
if (!csv) {
  console.error('usage: npx tsx benchmarks/report-screenshot.ts <run.csv> [-o docs/report.png] [--height 1700]');
  process.exit(2);
}
if (!existsSync('/usr/bin/chromium')) {
  console.error('needs /usr/bin/chromium: apt-get install -y chromium');
  process.exit(2);
}

const page = resolve(await writeReport(csv));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
  const tab = await browser.newPage({ viewport: { width: 1180, height }, deviceScaleFactor: 1 });
  await tab.goto(pathToFileURL(page).href);
  // The all-rows table stays folded, as a reader first sees the page.
  const full = await tab.evaluate(() => Math.ceil(document.body.getBoundingClientRect().bottom) + 16);
  await tab.screenshot({ path: out, clip: { x: 0, y: 0, width: 1180, height: Math.min(height, full) } });
} finally {
  await browser.close();
}
console.log(`${out}: ${(statSync(out).size / 1000).toFixed(0)} KB, from ${page}`);
