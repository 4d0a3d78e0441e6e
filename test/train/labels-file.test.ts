/**
 * The labels file (src/train/labels-file.ts) and what it does to scoring: line k names output
 * index k; dataset classes map to output indices by name; labels the dataset lacks take part in
 * the confusion matrix but not in the macro means (scikit-learn's `labels=`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, UserError } from '../../src/errors.ts';
import type { LoadedFeatures } from '../../src/features/datasets/index.ts';
import { labelledEvalSet } from '../../src/sweep/trained-models.ts';
import { checkLabelsFitOutput, outputIndexOfClasses, readLabelsFile } from '../../src/train/labels-file.ts';
import { confusionMatrix, metricsFrom } from '../../src/train/metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'melbench-labels-unit-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return [(e as UserError).exitCode, (e as Error).message];
  }
  return undefined;
};

describe('readLabelsFile', () => {
  it('one name per line; CRLF, surrounding spaces and trailing blank lines ignored', () => {
    expect(readLabelsFile(file('a.txt', 'dog\r\n cat \nbird\n\n\n')).names).toEqual(['dog', 'cat', 'bird']);
  });

  it('refuses a missing, empty, gapped or duplicated file (exit 3), naming the file', () => {
    expect(code(() => readLabelsFile(join(dir, 'none.txt')))).toEqual([EXIT.badInput, expect.stringMatching(/cannot read .*none\.txt: ENOENT/)]);
    expect(code(() => readLabelsFile(file('e.txt', '\n\n')))).toEqual([EXIT.badInput, expect.stringMatching(/e\.txt has no class names/)]);
    expect(code(() => readLabelsFile(file('g.txt', 'a\n\nb\n')))).toEqual([EXIT.badInput, expect.stringMatching(/g\.txt line 2 is blank/)]);
    expect(code(() => readLabelsFile(file('d.txt', 'a\nb\na\n')))).toEqual([EXIT.badInput, expect.stringMatching(/d\.txt names 'a' twice \(lines 1 and 3\)/)]);
  });
});

describe('matching labels to a model and a dataset', () => {
  const labels = { path: 'l.txt', names: ['cat', 'other', 'dog'] };

  it('maps dataset classes to output indices by name, and names every missing class', () => {
    expect([...outputIndexOfClasses(labels, ['dog', 'cat'], 'folder:x')]).toEqual([2, 0]);
    expect(code(() => outputIndexOfClasses(labels, ['dog', 'cow', 'bee'], 'folder:x'))).toEqual([EXIT.badInput, expect.stringMatching(/l\.txt lacks the class\(es\) 'cow', 'bee' of dataset folder:x/)]);
  });

  it('the count must be the class-score output size; a symbolic or non-[N, K] output cannot be matched (exit 4)', () => {
    expect(() => checkLabelsFitOutput(labels, { model: 'm.onnx', name: 'probs', dims: ['N', 3] })).not.toThrow();
    expect(code(() => checkLabelsFitOutput(labels, { model: 'm.onnx', name: 'probs', dims: ['N', 4] }))).toEqual([EXIT.badInput, "--labels: l.txt has 3 class names but m.onnx's output 'probs' is [N, 4] (4 classes); give one name per output index"]);
    expect(code(() => checkLabelsFitOutput(labels, { model: 'm.onnx', name: 'probs', dims: ['N', 'K'] }))?.[0]).toBe(EXIT.badModel);
    expect(code(() => checkLabelsFitOutput(labels, { model: 'm.onnx', name: 'probs', dims: ['N', 1, 3] }))?.[0]).toBe(EXIT.badModel);
  });

  it('labels the dataset lacks: in the confusion matrix, not in the macro means', () => {
    // dataset classes [dog, cat]; test y = dog, dog, cat, cat -> output indices 2, 2, 0, 0.
    const data = { classes: ['dog', 'cat'], splits: { test: { x: new Float32Array(4), y: Int32Array.from([0, 0, 1, 1]), dims: [1, 1, 1] } } } as unknown as LoadedFeatures;
    const e = labelledEvalSet(data, labels, 'folder:x');
    expect([...e.y]).toEqual([2, 2, 0, 0]);
    expect(e.classes).toEqual(labels.names);
    expect(e.scoredClasses).toEqual([0, 2]);
    // Predictions: dog right, dog into 'other', cat right, cat right.
    const m = metricsFrom(confusionMatrix(e.y, [2, 1, 0, 0], 3), e.scoredClasses);
    // cat: P 1, R 1, F1 1; dog: P 1, R 1/2, F1 2/3. Macro over {cat, dog}; accuracy 3/4.
    expect(m.macroF1).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(m.macroRecall).toBeCloseTo(0.75, 12);
    expect(m.macroPrecision).toBe(1);
    expect(m.accuracy).toBe(0.75);
  });
});
