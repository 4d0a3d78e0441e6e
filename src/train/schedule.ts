/**
 * Learning-rate schedules, as a function of progress through training (epoch e of E, 0-based,
 * evaluated per step with fractional epochs):
 *   constant  lr
 *   cosine    lr * (1 + cos(pi e / E)) / 2
 *   step      lr * gamma^floor(e / stepEpochs)          (gamma 0.1, stepEpochs E/3)
 *   sigmoid   lr / (1 + exp(k (e / E - 1/2)))           (k = 10: seed 000's sigmoidal decay,
 *             flat at first, halving at mid-training, then decaying towards 0)
 * With w warm-up epochs the rate first rises linearly, lr * (e + 1/S) / w over the first w epochs
 * (S steps per epoch, so the first step is not 0), and the schedule then runs over the remaining
 * E - w epochs. Warm-up tames the first epoch of SGD with momentum from a random start, whose loss
 * otherwise spikes far above ln(classes) (Goyal et al. 2017).
 */
import { UserError } from '../errors.ts';

export const SCHEDULES = ['constant', 'cosine', 'step', 'sigmoid'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export function parseSchedule(name: string): ScheduleKind {
  if (!(SCHEDULES as readonly string[]).includes(name)) throw new UserError(`unknown --schedule '${name}'; choose from: ${SCHEDULES.join(', ')}`);
  return name as ScheduleKind;
}

export function learningRate(kind: ScheduleKind, base: number, epoch: number, epochs: number, warmup = 0, stepsPerEpoch = 1): number {
  if (epoch < warmup) return (base * Math.min(warmup, epoch + 1 / stepsPerEpoch)) / warmup;
  return decayed(kind, base, epoch - warmup, epochs - warmup);
}

function decayed(kind: ScheduleKind, base: number, epoch: number, epochs: number): number {
  const t = epochs > 0 ? epoch / epochs : 0;
  switch (kind) {
    case 'constant':
      return base;
    case 'cosine':
      return (base * (1 + Math.cos(Math.PI * t))) / 2;
    case 'step':
      return base * 0.1 ** Math.floor(epoch / Math.max(1, Math.round(epochs / 3)));
    case 'sigmoid':
      return base / (1 + Math.exp(10 * (t - 0.5)));
  }
}
