import { describe, expect, it } from 'vitest';
import { argmaxRows, confusionMatrix, metricsFrom } from '../../src/train/metrics.ts';
import { learningRate, parseSchedule } from '../../src/train/schedule.ts';

describe('metrics', () => {
  it('matches hand-computed precision, recall and macro-F1 (scikit-learn conventions)', () => {
    // truth 0 0 0 1 1 2; pred 0 0 1 1 2 2
    const c = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
    expect(c).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const m = metricsFrom(c);
    // P = [1, 1/2, 1/2], R = [2/3, 1/2, 1]; F1 = [0.8, 0.5, 2/3]
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.macroPrecision).toBeCloseTo((1 + 0.5 + 0.5) / 3, 12);
    expect(m.macroRecall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('gives a never-predicted class precision and F1 of 0', () => {
    const m = metricsFrom(confusionMatrix([0, 1, 1], [0, 0, 0], 2));
    expect(m.perClassF1[1]).toBe(0);
    expect(m.macroPrecision).toBeCloseTo((1 / 3 + 0) / 2, 12);
  });

  it('takes the argmax of each row', () => {
    expect(Array.from(argmaxRows(Float32Array.of(0.1, 0.7, 0.2, 5, -1, 4), 3))).toEqual([1, 0]);
  });
});

describe('learning-rate schedules', () => {
  it('cosine goes from lr to 0 through lr/2 at mid-training', () => {
    expect(learningRate('cosine', 0.1, 0, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate('cosine', 0.1, 5, 10)).toBeCloseTo(0.05, 12);
    expect(learningRate('cosine', 0.1, 10, 10)).toBeCloseTo(0, 12);
  });

  it('step divides by 10 every third of training; sigmoid halves at mid-training', () => {
    expect(learningRate('step', 1, 3.9, 12)).toBe(1);
    expect(learningRate('step', 1, 4, 12)).toBeCloseTo(0.1, 12);
    expect(learningRate('sigmoid', 1, 5, 10)).toBeCloseTo(0.5, 12);
    expect(learningRate('sigmoid', 1, 0, 10)).toBeGreaterThan(0.99);
    expect(learningRate('sigmoid', 1, 10, 10)).toBeLessThan(0.01);
  });

  it('warm-up rises linearly from the first step, then the schedule runs over the remaining epochs', () => {
    // 2 warm-up epochs of 4 steps: the first step gets lr/8, not 0
    expect(learningRate('cosine', 0.1, 0, 12, 2, 4)).toBeCloseTo(0.1 / 8, 12);
    expect(learningRate('cosine', 0.1, 1, 12, 2, 4)).toBeCloseTo(0.1 * (1.25 / 2), 12);
    expect(learningRate('cosine', 0.1, 2, 12, 2, 4)).toBeCloseTo(0.1, 12);
    expect(learningRate('cosine', 0.1, 7, 12, 2, 4)).toBeCloseTo(0.05, 12);
    expect(learningRate('cosine', 0.1, 12, 12, 2, 4)).toBeCloseTo(0, 12);
  });

  it('rejects an unknown schedule with the list', () => {
    expect(() => parseSchedule('warmup')).toThrow(/unknown --schedule 'warmup'; choose from: constant, cosine, step, sigmoid/);
  });
});
