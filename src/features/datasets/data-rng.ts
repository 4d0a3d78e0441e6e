/**
 * Seeds for datasets: every random choice of a dataset (a clip's pitch, a split's shuffle, a
 * crop's offset) draws from the repo's Rng (src/rng.ts) seeded by `deriveSeed(seed, ...labels)`,
 * an FNV-1a hash of the run seed and the names of what is drawn (class, split, clip index)
 * finished by a splitmix32 avalanche. A clip is then a pure function of its labels, independent
 * of how many clips were drawn before it or of their order.
 */
import { Rng } from '../../rng.ts';

function fnv1a(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** A 32-bit seed from a run seed and labels, e.g. `deriveSeed(1, 'siren', 'train', 3)`. */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = fnv1a(String(seed), 0x811c9dc5);
  // NOTE: the separator keeps ('a', 'bc') and ('ab', 'c') apart.
  for (const l of labels) h = fnv1a('\u0000' + String(l), h);
  return mix32(h);
}

/** The repo's Rng with the draws datasets need. */
export class DataRng extends Rng {
  static derive(seed: number, ...labels: (string | number)[]): DataRng {
    return new DataRng(deriveSeed(seed, ...labels));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Uniform integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}
