/**
 * Frontend throughput as a real-time factor (RTF = seconds of audio per second of compute), one thread.
 *
 *   npx tsx benchmarks/frontend-rtf.ts [--seconds-per-preset 1.5]
 *
 * Input: each preset's built-in test signal (one clip of clipSeconds). Timing: computeFeatures only
 * (no decoding or resampling), after a warm-up, repeated until the time budget is spent; the median
 * of per-batch rates is reported. Target for `default`: >= 500x real time.
 */
import { computeFeatures } from '../src/features/frontend.ts';
import { getPreset, PRESET_NAMES } from '../src/features/presets.ts';
import { testSignal } from '../src/features/test-signal.ts';

const TARGET_DEFAULT_RTF = 500;
const flag = process.argv.indexOf('--seconds-per-preset');
const budget = flag > 0 ? Number(process.argv[flag + 1]) : 1.5;

function measure(name: string): { name: string; shape: string; clipMs: number; rtf: number } {
  const p = getPreset(name);
  const audio = testSignal(p);
  let shape = '';
  for (let i = 0; i < 5; i++) shape = computeFeatures(audio, p).dims.join('x');
  const rates: number[] = [];
  const end = performance.now() + budget * 1000;
  while (performance.now() < end) {
    const reps = 10;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) computeFeatures(audio, p);
    const ms = (performance.now() - t0) / reps;
    rates.push(ms);
  }
  rates.sort((a, b) => a - b);
  const clipMs = rates[Math.floor(rates.length / 2)];
  return { name, shape, clipMs, rtf: (p.clipSeconds * 1000) / clipMs };
}

const rows = PRESET_NAMES.map(measure);
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`${pad('preset', 16)}${pad('output CxMxT', 16)}${pad('ms/clip', 10)}${pad('clip s', 8)}RTF`);
for (const r of rows) {
  const p = getPreset(r.name);
  console.log(`${pad(r.name, 16)}${pad(r.shape, 16)}${pad(r.clipMs.toFixed(3), 10)}${pad(String(p.clipSeconds), 8)}${Math.round(r.rtf)}x`);
}
const def = rows.find((r) => r.name === 'default')!;
console.log(`\ndefault: ${Math.round(def.rtf)}x real time; target ${TARGET_DEFAULT_RTF}x; ratio ${(def.rtf / TARGET_DEFAULT_RTF).toFixed(2)}`);
