/**
 * The child side of the import fuzz (test/fuzz/import-fuzz.ts): builds the sources, then for each
 * case k in [from, to) mutates source k mod n with its own seeded Rng and feeds the bytes to
 * `fromOnnx`, alone (no runtime session), with a model directory holding the external data files
 * (and a symlink out of it). Sends one message per case with its outcome and time,
 * then 'done'. A hang or a crash is the parent's to notice: it knows the last case reported.
 *
 * `plants` make chosen cases hang, crash or throw a TypeError, to test the parent's watchdog.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromOnnx } from '../../src/export/onnx.ts';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../../src/rng.ts';
import { fuzzSource, MODEL_DIR, mutateModel, OUTSIDE_FILE, SYMLINK_OUT } from './import-mutate.ts';
import { onnxFixtures } from '../fixtures/onnx-models.ts';
import { importFuzzSources } from './import-sources.ts';
import { caseSeed, type ImportFuzzReply, type ImportFuzzRequest, type Plant } from './import-fuzz.ts';

function send(m: ImportFuzzReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(m, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

function plant(how: Plant): void {
  if (how === 'crash') process.abort();
  if (how === 'throw') (undefined as unknown as { x: number }).x;
  // NOTE: a synchronous spin, as an importer stuck in a loop would be.
  for (;;);
}

/**
 * The model's directory every case is imported from (test/fuzz/import-mutate.ts's layout): the
 * fixtures' side files, a symlink out of it, and a real file beside it, outside.
 */
function modelDir(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'melbench-import-fuzz-'));
  const dir = join(root, MODEL_DIR);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  for (const f of onnxFixtures()) for (const [name, bytes] of Object.entries(f.files ?? {})) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(root, OUTSIDE_FILE), new Uint8Array(1 << 16).fill(0x3f));
  symlinkSync(join(root, OUTSIDE_FILE), join(dir, SYMLINK_OUT));
  return { root, dir };
}

process.once('message', async (req: ImportFuzzRequest) => {
  const sources = importFuzzSources(req.fixturesOnly).map((s) => fuzzSource(s.name, s.bytes));
  const { root, dir } = modelDir();
  await send({ kind: 'sources', names: sources.map((s) => s.name) });
  const seen = new Set<string>();
  for (let k = req.from; k < req.to; k++) {
    const src = sources[k % sources.length];
    const m = mutateModel(src, new Rng(caseSeed(req.seed, k)));
    let outcome: string;
    let message: string | undefined;
    const t0 = performance.now();
    try {
      if (req.plants?.[k]) plant(req.plants[k]);
      fromOnnx(m.bytes, `case${k}.onnx`, { dir });
      // NOTE: a model that reads data from outside its directory must never import.
      outcome = m.escapes ? 'escaped' : 'graph';
    } catch (e) {
      if (e instanceof UserError) outcome = `exit ${e.exitCode}`;
      else outcome = `thrown ${(e as Error)?.name ?? typeof e}`;
      message = (e as Error)?.message ?? String(e);
    }
    const ms = performance.now() - t0;
    // The description and message only where the parent reports them: the first of a class, and failures.
    const tell = !seen.has(outcome) || outcome.startsWith('thrown') || outcome === 'escaped' || ms > req.slowMs;
    seen.add(outcome);
    await send({ kind: 'case', k, source: src.name, family: m.family, ...(m.escapes ? { escapes: true } : {}), outcome, ms, ...(tell ? { what: m.what, message: message?.slice(0, 300) } : {}) });
  }
  rmSync(root, { recursive: true, force: true });
  await send({ kind: 'done' });
  process.exit(0);
});
