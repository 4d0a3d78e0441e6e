import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentInfo, fingerprint, packageVersion } from '../../src/runners/environment.ts';

const installed = (name: string) => (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

describe('environmentInfo', () => {
  it('names the machine, Node and both ORT packages as installed', async () => {
    const env = await environmentInfo('google / swiftshader');
    expect(env.cpu.length).toBeGreaterThan(0);
    expect(env.cores).toBeGreaterThan(0);
    expect(env.totalMemGiB).toBeGreaterThan(0);
    expect(env.node).toBe(process.versions.node);
    expect(env.ortNode).toBe(installed('onnxruntime-node'));
    expect(env.ortWeb).toBe(installed('onnxruntime-web'));
    expect(env.adapter).toBe('google / swiftshader');
    expect(fingerprint(env)).toContain(`ort-web ${env.ortWeb}`);
    expect(fingerprint(env)).toContain('google / swiftshader');
  });

  it('says missing for a package that is not installed', () => {
    expect(packageVersion('no-such-package-melbench')).toBe('missing');
  });
});
