/**
 * Byte-identical output across refactors: the hashes in golden-bytes.json were recorded before the
 * seams refactor (issue 10); a change that alters any emitted model must re-record them on purpose
 * (`npx tsx test/export/golden-bytes.ts --write`) and say why in its commit.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { goldenHashes } from './golden-bytes.ts';

it('every zoo model, pass output, training graph and frontend exports the recorded bytes', () => {
  const recorded = JSON.parse(readFileSync(new URL('./golden-bytes.json', import.meta.url), 'utf8')) as Record<string, string>;
  expect(Object.keys(recorded).length).toBeGreaterThan(100);
  expect(goldenHashes()).toEqual(recorded);
}, 120_000);
