import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/commands/doctor.ts';
import { RUNTIMES } from '../../src/runners/runner.ts';

async function doctor(args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const program = new Command('melbench').exitOverride();
  register(program);
  await program.parseAsync(['doctor', ...args], { from: 'user' });
  vi.restoreAllMocks();
  return out.join('');
}

describe('melbench doctor', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints a row per runtime and the environment fingerprint', async () => {
    const text = await doctor([]);
    for (const r of RUNTIMES) expect(text).toContain(r);
    // The environment line wraps to the table width: match across its lines.
    expect(text).toMatch(/environment: .*node \d+\.\d+\.\d+.*ort-node \d/s);
  }, 120_000);

  it('reports cpu and wasm as available in JSON', async () => {
    const json = JSON.parse(await doctor(['--json'])) as { runtimes: { runtime: string; ok: boolean }[]; environment: { cores: number } };
    expect(json.runtimes.map((r) => r.runtime)).toEqual([...RUNTIMES]);
    expect(json.runtimes.filter((r) => r.ok).map((r) => r.runtime)).toEqual(expect.arrayContaining(['cpu', 'wasm']));
    expect(json.environment.cores).toBeGreaterThan(0);
  }, 120_000);
});
