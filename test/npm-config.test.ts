/**
 * The project's npm configuration (issue 18): the install stays offline-safe, because no dependency
 * install script runs (onnxruntime-node's downloads CUDA binaries from a NuGet feed and fails with
 * no network), and npm reads the configuration without a warning, which it would print before
 * every `npm` and `npx melbench` command (as it did for the unknown key
 * `onnxruntime-node-install=skip`).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // NOTE: npm_config_* variables from an outer `npm test` would mask the project's .npmrc.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    execFile(cmd, args, { cwd: ROOT, env, timeout: 60_000 }, (e, stdout, stderr) => done({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('npm configuration', () => {
  it('ignores dependency install scripts, and npm reads .npmrc with no warning', async () => {
    const r = await run('npm', ['config', 'get', 'ignore-scripts']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('true');
    expect(r.stderr).not.toMatch(/npm warn/i);
  });

  it('npx melbench prints no npm warning', async () => {
    const r = await run('npx', ['--no-install', 'melbench', '--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version);
    expect(r.stderr).toBe('');
  });

  it("denies the install scripts npm >= 11.19 would ask about (package.json's allowScripts)", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts).toMatchObject({ 'onnxruntime-node': false });
  });
});
