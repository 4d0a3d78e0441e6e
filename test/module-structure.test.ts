/**
 * The shape of src/ (DESIGN.md, "The path the data takes"; BRIEF: "no module in an earlier stage
 * imports a later one"), checked on every import so that an upward import or a name clash
 * cannot come back:
 *
 * 1. Layers. Each top-level folder of src/ is a layer; a module may import its own layer and the
 *    layers below it, never one above. Lowest first:
 *      errors.ts, rng.ts, package-root.ts   shared by every stage
 *      graph               the IR, ops, builder, zoo
 *      features            audio -> tensors; its ONNX frontend is built with graph's builder
 *      export              passes on the IR, ONNX bytes, cost
 *      runners             run ONNX bytes on a runtime (and the output-difference math)
 *      train               runs training and calibration graphs on the runners
 *      explain             the per-tensor error of two runs and where they part (same layer as train)
 *      report              the row schema, the CSV/samples/profile sinks, the gate, HTML
 *      sweep               drives the runners over models x variants x runtimes and writes
 *                          rows through report's sinks
 *      ablate              suites of variants, swept
 *      commands            one file per CLI command
 *      cli.ts              the entry point
 *    NOTE: report sits below sweep although a report is read after a sweep: the sweep writes its
 *    rows through report's sinks (columns.ts, csv.ts, samples.ts), so report is the library and
 *    sweep its user; what report must not do is call back into the sweep.
 * 2. Names. No two files in src/ share a base name, so a name in a stack trace, a comment or an
 *    issue points at one file. Two conventions are the exceptions: `index.ts` (a folder's entry)
 *    and `src/commands/<command>.ts`, which is named after the CLI command it registers (so
 *    `melbench compare` is commands/compare.ts and the gate it calls is report/compare.ts).
 *
 * Imports are found as tools/import-cycles.cjs finds them: `import`/`export ... from` with a
 * relative path (type-only included) and `import('...')`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'rng.ts', 'package-root.ts'],
  ['graph'],
  ['features'],
  ['export'],
  ['runners'],
  ['train', 'explain'],
  ['report'],
  ['sweep'],
  ['ablate'],
  ['commands'],
  ['cli.ts'],
];

/** The first path segment under src/ (a folder, or a file at the top). */
const unitOf = (rel: string) => rel.split(sep)[0];

/** The layer index of a file given relative to src/; undefined for a unit no layer lists. */
function layerOf(rel: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.includes(unitOf(rel)));
  return i < 0 ? undefined : i;
}

/** Relative import specifiers of a TypeScript source. */
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) out.push(m[1] ?? m[2]);
  return out;
}

/** Every import (file relative to src/ -> imported file relative to src/) that goes to a higher layer, or from or to a unit no layer lists. */
function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file);
    if (from === undefined) {
      bad.push(`${file}: src/${unitOf(file)} is in no layer: add it to LAYERS in test/module-structure.test.ts`);
      continue;
    }
    for (const spec of importsOf(source)) {
      const target = normalize(join(dirname(file), spec));
      if (target.startsWith('..')) continue; // outside src/ (node_modules is never relative)
      const to = layerOf(target);
      if (to === undefined) bad.push(`${file} imports ${target}: src/${unitOf(target)} is in no layer`);
      else if (to > from) bad.push(`${file} imports ${target}: ${unitOf(file)} (layer ${from}) must not import ${unitOf(target)} (layer ${to})`);
    }
  }
  return bad;
}

/** Base names held by more than one file (paths relative to src/), outside the conventions of the header. */
function nameClashes(paths: readonly string[]): string[] {
  const by = new Map<string, string[]>();
  for (const p of paths) {
    const name = basename(p);
    if (name === 'index.ts' || dirname(p) === 'commands') continue;
    by.set(name, [...(by.get(name) ?? []), p]);
  }
  return [...by.values()].filter((ps) => ps.length > 1).map((ps) => ps.join(' and '));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the checks themselves', () => {
  it('find static, type-only, re-export and dynamic imports, and no package import', () => {
    const src = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/b.ts';",
      "export { c } from './c.ts';",
      "const d = await import('../d/d.ts');",
      "import { Command } from 'commander';",
      "import {\n  e,\n  f,\n} from './ef.ts';",
    ].join('\n');
    expect(importsOf(src)).toEqual(['./a.ts', '../b/b.ts', './c.ts', '../d/d.ts', './ef.ts']);
  });

  it('report an upward import, a type-only one too, and accept downward and same-layer ones', () => {
    const files = new Map([
      [join('sweep', 'x.ts'), "import { writeReport } from '../commands/report.ts';\nimport type { Row } from '../report/columns.ts';\nimport { y } from './y.ts';"],
      [join('report', 'fidelity.ts'), "import type { Sweep } from '../sweep/sweep.ts';\nimport { HostTensor } from '../runners/runner.ts';"],
      [join('graph', 'ops', 'conv.ts'), "import { ShapeError } from '../../errors.ts';"],
      ['rng.ts', ''],
    ]);
    expect(layerViolations(files)).toEqual([
      `${join('sweep', 'x.ts')} imports ${join('commands', 'report.ts')}: sweep (layer 7) must not import commands (layer 9)`,
      `${join('report', 'fidelity.ts')} imports ${join('sweep', 'sweep.ts')}: report (layer 6) must not import sweep (layer 7)`,
    ]);
    expect(layerViolations(new Map([[join('plugins', 'p.ts'), '']]))[0]).toMatch(/src\/plugins is in no layer/);
  });

  it('report a shared base name, but not index.ts or a command named like its module', () => {
    expect(nameClashes([join('report', 'run-files.ts'), join('sweep', 'run-files.ts'), join('graph', 'ops', 'index.ts'), join('graph', 'zoo', 'index.ts'), join('report', 'compare.ts'), join('commands', 'compare.ts')])).toEqual([
      `${join('report', 'run-files.ts')} and ${join('sweep', 'run-files.ts')}`,
    ]);
  });
});

describe('src/', () => {
  const paths = sourceFiles(SRC).map((f) => relative(SRC, f));

  it('has every file in a layer and no import from a layer to a higher one', () => {
    expect(paths.length).toBeGreaterThan(100);
    expect(layerViolations(new Map(paths.map((p) => [p, readFileSync(join(SRC, p), 'utf8')])))).toEqual([]);
  });

  it('has no two files with the same base name', () => {
    expect(nameClashes(paths)).toEqual([]);
  });
});
