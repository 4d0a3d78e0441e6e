/**
 * A node name holding a newline cannot push text onto melbench's stdout through ORT-web's
 * profiler, which writes each trace event, name unescaped, as a line of stdout (src/runners/ort-web.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';

// NOTE: on a node ORT does not fuse away (a Relu after a Conv becomes FusedConv and leaves no event of its own).
const HOSTILE = 'gap\n{"LEAKED":1}';

describe('ORT-web profiler capture', () => {
  for (const isolation of [[], ['--no-isolate']]) {
    it(`keeps a newline and quotes in a node name off stdout (${isolation.join(' ') || 'isolated'}), and the event whole in the profile`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'melbench-profile-leak-'));
      const g = fromOnnx(readFileSync('test/data/tiny-cnn.onnx'), 'tiny-cnn');
      const gap = g.nodes.findIndex((n) => n.opType === 'GlobalAveragePool');
      expect(gap).toBeGreaterThanOrEqual(0);
      const model = join(dir, 'hostile.onnx');
      writeFileSync(model, toOnnx({ ...g, nodes: g.nodes.map((n, i) => (i === gap ? { ...n, name: HOSTILE } : n)) }));
      const args = ['bin/melbench.mjs', 'bench', model, '--runtimes', 'wasm', '--profile', ...isolation, '--samples', '3', '--warmup', '1', '--time-ms', '0', '--no-report', '-o', join(dir, 'run.csv')];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('LEAKED');
      expect(r.stdout.split('\n')[0]).not.toMatch(/^\{/);
      // the event is kept whole in the profile, with its name
      const profile = parse(readFileSync(join(dir, 'run.profile.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
      expect(profile.find((r) => r.op_type === 'GlobalAveragePool')?.node).toBe(HOSTILE);
      expect(profile.map((r) => r.op_type)).toEqual(expect.arrayContaining(['Gemm', 'Softmax']));
    });
  }
});
