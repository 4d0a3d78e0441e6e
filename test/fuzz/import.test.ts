/**
 * Import fuzz (issue #12, "Done when 4"): 10,000 seeded mutations of valid models
 * (test/fuzz/import-sources.ts; mutations in test/fuzz/import-mutate.ts) fed to `fromOnnx` alone,
 * in a watched child process (test/fuzz/import-fuzz.ts). Every case must end as a graph or a
 * `UserError` with its exit code; anything else thrown, a case over 2 s, a hang, a crash, or a
 * model importing although its external data lies outside its directory fails the test, naming the seed, the case and the mutation (replay one case with `caseSeed(seed, k)`).
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { runImportFuzz } from './import-fuzz.ts';

const SEED = 14;
const CASES = 10_000;
/** Per case: a healthy case takes well under 50 ms, even on the loaded 2-core machine. */
const SLOW_MS = 2_000;
const HANG_MS = 10_000;

describe('fuzz: mutated ONNX models through fromOnnx', () => {
  it(`${CASES} seeded mutations end as a graph or a user error, never anything else`, async () => {
    const r = await runImportFuzz({ seed: SEED, cases: CASES, slowMs: SLOW_MS, hangMs: HANG_MS });
    console.log(
      `import fuzz: ${CASES} cases over ${r.sources.length} sources in ${r.seconds.toFixed(1)} s, slowest ${r.slowestMs.toFixed(0)} ms; ` +
        `outcomes ${JSON.stringify(Object.fromEntries([...r.outcomes].sort()))}; failures ${r.failures.length}`,
    );
    console.log(`  external data outside the model's directory: ${JSON.stringify(Object.fromEntries(r.escaping))}`);
    for (const [family, o] of [...r.byFamily].sort()) console.log(`  ${family}: ${[...o].sort().map(([k, v]) => `${v} ${k}`).join(', ')}`);
    for (const [k, v] of [...r.examples].sort()) console.log(`  first ${k}: ${v}`);
    for (const f of r.failures.slice(0, 30)) console.log(`  FAIL ${f.kind}: ${f.detail}`);
    expect(r.failures.map((f) => f.detail)).toEqual([]);
    expect([...r.outcomes.values()].reduce((a, b) => a + b, 0)).toBe(CASES);
    // The mutations reach both ends: models that still import, and refusals as bad input.
    expect(r.outcomes.get('graph')).toBeGreaterThan(CASES / 20);
    expect(r.outcomes.get(`exit ${EXIT.badInput}`)).toBeGreaterThan(CASES / 5);
    // Locations out of the model's directory (a real file, a symlink, absolute paths) were tried, and all refused as bad input.
    expect(r.escaping.get(`exit ${EXIT.badInput}`)).toBeGreaterThan(50);
    expect([...r.escaping.keys()]).toEqual([`exit ${EXIT.badInput}`]);
    // Every outcome is one of the two classes.
    for (const k of r.outcomes.keys()) expect(k).toMatch(/^(graph|exit \d+)$/);
  }, 600_000);

  it('the watchdog names a planted hang, crash and TypeError, and carries on after each', async () => {
    const r = await runImportFuzz({ seed: SEED, cases: 30, slowMs: SLOW_MS, hangMs: 3_000, fixturesOnly: true, plants: { 5: 'hang', 12: 'crash', 20: 'throw' } });
    expect(r.failures.map((f) => [f.k, f.kind])).toEqual([
      [5, 'hang'],
      [12, 'crash'],
      [20, 'thrown'],
    ]);
    expect(r.failures[1].detail).toMatch(/SIGABRT/);
    expect(r.failures[2].detail).toMatch(/TypeError/);
    // All 30 cases accounted for: 27 ran, one hung, one crashed (the throw is counted as run).
    expect([...r.outcomes.values()].reduce((a, b) => a + b, 0)).toBe(30);
    expect(r.outcomes.get('hang')).toBe(1);
    expect(r.outcomes.get('crash')).toBe(1);
  }, 120_000);
});
