/**
 * `melbench bench --profile` end to end: a QOperator int8 model (the integer kernels ORT's
 * WebGPU provider lacks, so a mixed CPU/GPU graph) on cpu and webgpu. Every node in the profile
 * CSV names its provider, and each main row's `fallback_nodes` equals the number of its profile
 * rows marked `fallback`. The same run checks that `--warmup 0 --samples 1` is taken literally
 * and that the schema-3 columns and the samples JSONL are filled.
 *
 * webgpu on a machine without any WebGPU adapter is skipped, with the reason in the test's name;
 * with chromium's SwiftShader (CI) it runs.
 */
import { SCHEMA_VERSION } from '../../src/report/columns.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { PROFILE_COLUMNS } from '../../src/report/profile-csv.ts';
import { availableIsolated } from '../../src/runners/isolate.ts';
import { qoperatorModel } from '../fixtures/qoperator-model.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;

const webgpu = await availableIsolated('webgpu');
const runtimes = webgpu.ok ? ['cpu', 'webgpu'] : ['cpu'];

describe('bench --profile', () => {
  it(`writes a per-node profile whose fallbacks are each row's fallback_nodes, on ${runtimes.join(' and ')}${webgpu.ok ? '' : ` (webgpu skipped: unavailable: ${webgpu.reason})`}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'melbench-profile-bench-'));
    const model = join(dir, 'qop.onnx');
    writeFileSync(model, await qoperatorModel());
    const csv = join(dir, 'r.csv');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--models', model, '--runtimes', runtimes.join(','), '--profile', '--warmup', '0', '--samples', '1', '-o', csv], { encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`profile: ${join(dir, 'r.profile.csv')}`);

    const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    const nodes = parse(readFileSync(join(dir, 'r.profile.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(nodes[0])).toEqual([...PROFILE_COLUMNS]);
    expect(rows.map((row) => row.runtime)).toEqual(runtimes);
    for (const row of rows) {
      expect(row.status, row.error).toBe('ok');
      const mine = nodes.filter((n) => n.runtime === row.runtime && n.batch === row.batch && n.model === 'qop');
      expect(mine.length).toBeGreaterThanOrEqual(5);
      // Every node names the provider that ran it, with a time per run.
      expect(mine.every((n) => /ExecutionProvider$/.test(n.provider) && Number(n.time_us_per_run) >= 0 && Number(n.calls) >= 2)).toBe(true);
      expect(Number(row.fallback_nodes)).toBe(mine.filter((n) => n.fallback === 'true').length);
      // Taken literally: no warm-up, one sample, and no steady-state verdict.
      expect([row.warmup, row.samples, row.warmup_converged]).toEqual(['0', '1', '']);
      expect(Number(row.runtime_init_ms)).toBeGreaterThan(0);
      expect(Number(row.session_create_ms)).toBeGreaterThan(0);
      expect(row.git_commit).toMatch(/^([0-9a-f]{40}(-dirty)?)?$/);
      expect(row.ort_node_version).toMatch(/^\d+\.\d+\.\d+/);
      expect(row.schema).toBe(String(SCHEMA_VERSION));
    }
    const cpu = nodes.filter((n) => n.runtime === 'cpu');
    expect(cpu.every((n) => n.provider === 'CPUExecutionProvider' && n.fallback === 'false')).toBe(true);
    expect(cpu.map((n) => n.op_type)).toContain('QLinearConv');
    if (webgpu.ok) {
      const gpu = rows.find((row) => row.runtime === 'webgpu')!;
      // The integer kernels fall back to the CPU provider; the rest stays on WebGPU.
      expect(Number(gpu.fallback_nodes)).toBeGreaterThan(0);
      const providers = new Set(nodes.filter((n) => n.runtime === 'webgpu').map((n) => n.provider));
      expect([...providers].sort()).toEqual(['CPUExecutionProvider', 'WebGpuExecutionProvider']);
      expect(gpu.adapter_vendor).not.toBe('');
      expect(gpu.software_adapter === 'true').toBe(/swiftshader/i.test(gpu.device));
    }

    const samples = readFileSync(join(dir, 'r.samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { samples_ms: number[]; first_sample_at: string });
    expect(samples).toHaveLength(runtimes.length);
    for (const s of samples) {
      expect(s.samples_ms).toHaveLength(1);
      expect(Number.isNaN(Date.parse(s.first_sample_at))).toBe(false);
    }
  }, 420_000);
});
