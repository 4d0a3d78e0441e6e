/**
 * Classification metrics on held-out data, from the confusion matrix C[true][pred]:
 *   precision_k = C[k][k] / sum_j C[j][k],  recall_k = C[k][k] / sum_j C[k][j],
 *   F1_k = 2 P R / (P + R)  (0 when P + R = 0),  macro = mean over classes,
 *   accuracy = trace(C) / sum(C).
 * A class never predicted has precision 0 (scikit-learn's zero_division=0).
 * `over` restricts the macro means to some classes (scikit-learn's `labels=`): a model file whose
 * outputs name more classes than the dataset has is averaged over the dataset's classes only,
 * while its predictions into the others still count against recall and accuracy.
 */
export interface Metrics {
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  perClassF1: number[];
  confusion: number[][];
}

export function confusionMatrix(truth: ArrayLike<number>, pred: ArrayLike<number>, classes: number): number[][] {
  const c = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) c[truth[i]][pred[i]]++;
  return c;
}

export function metricsFrom(confusion: number[][], over?: readonly number[]): Metrics {
  const k = confusion.length;
  let total = 0;
  let correct = 0;
  const p: number[] = [];
  const r: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < k; i++) {
    const tp = confusion[i][i];
    const predicted = confusion.reduce((s, row) => s + row[i], 0);
    const actual = confusion[i].reduce((s, v) => s + v, 0);
    total += actual;
    correct += tp;
    const pi = predicted ? tp / predicted : 0;
    const ri = actual ? tp / actual : 0;
    p.push(pi);
    r.push(ri);
    f.push(pi + ri ? (2 * pi * ri) / (pi + ri) : 0);
  }
  const mean = (xs: number[]) => (over ? over.map((i) => xs[i]) : xs).reduce((a, b) => a + b, 0) / (over ?? xs).length;
  return { accuracy: total ? correct / total : 0, macroPrecision: mean(p), macroRecall: mean(r), macroF1: mean(f), perClassF1: f, confusion };
}

export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}
