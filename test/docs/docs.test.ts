/**
 * The README is the front page and docs/ holds the rest (issue #18): these tests keep the links
 * between them working and check the reference tables against the code they describe.
 *
 * Anchors follow GitHub's rule for heading ids: lower case, every character that is not a letter,
 * digit, space, '-' or '_' dropped, each space turned into '-', and '-1', '-2'... for repeats.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BOUNDS } from '../../src/commands/options.ts';
import { EXIT } from '../../src/errors.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (page: string) => readFileSync(join(root, page), 'utf8');

/** The text outside fenced code blocks (links and headings there are not Markdown). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1].trim());
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The section of `text` under the heading `title`, up to the next heading of its level or above. */
function section(text: string, title: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === title);
  expect(start, `heading '${title}'`).toBeGreaterThanOrEqual(0);
  const level = lines[start].indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

describe('the README and docs/', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Compressing a model file: `quantize`, `prune`, `ablate --models file.onnx`')).toBe('compressing-a-model-file-quantize-prune-ablate---models-fileonnx');
    expect(slug("Why `bench`'s wasm p50 was 2–2.6 × a bare loop, and what changed")).toBe('why-benchs-wasm-p50-was-226--a-bare-loop-and-what-changed');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });

  it('every relative link points to a file that exists, and every #anchor to a heading in it', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const m of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split('#');
        const file = path === '' ? page : join(dirname(page), path);
        if (!existsSync(join(root, file))) {
          broken.push(`${page}: ${target} (no file ${file})`);
          continue;
        }
        if (anchor !== undefined && file.endsWith('.md') && !anchors(read(file)).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README is a front page: at most 250 lines, the two commands in its first screen', () => {
    const lines = read('README.md').split('\n');
    expect(lines.length).toBeLessThanOrEqual(250);
    const first = lines.slice(0, 30);
    expect(first.some((l) => l.startsWith('npm ci && npm start'))).toBe(true);
    expect(first.some((l) => l.startsWith('npm test'))).toBe(true);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('vitest run');
  });

  it('the README says why each dependency was added, and docs/dependencies.md in full', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    // @types/* only type the sources; every other package is named in both tables.
    const packages = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((p) => !p.startsWith('@types/'));
    for (const page of ['README.md', 'docs/dependencies.md']) {
      const table = page === 'README.md' ? section(read(page), 'Dependencies') : read(page);
      const named = new Set([...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => m[1].split(',').map((s) => s.replace(/\(dev\)/, '').trim())));
      expect(packages.filter((p) => !named.has(p)), page).toEqual([]);
    }
  });

  it("docs/reference.md's option ranges are the ranges the parser checks", () => {
    const table = section(read('docs/reference.md'), 'Option ranges');
    const documented = new Map<string, { min: number; max: number }>();
    for (const row of table.split('\n').filter((l) => l.startsWith('| `'))) {
      const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      for (let i = 0; i + 1 < cells.length; i += 2) {
        const range = /^(−?[\d.]+)–([\d.]+)/.exec(cells[i + 1]);
        if (!range) continue; // '--ratios: each in (0, 1)' is a list rule, not a bound
        for (const flag of cells[i].matchAll(/`(--[a-z0-9-]+)`/g)) documented.set(flag[1], { min: Number(range[1].replace('−', '-')), max: Number(range[2]) });
      }
    }
    expect(Object.fromEntries(documented)).toEqual({ ...BOUNDS });
  });

  it("docs/reference.md's exit codes are the codes of src/errors.ts", () => {
    const table = section(read('docs/reference.md'), 'Exit codes');
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(codes).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });
});
