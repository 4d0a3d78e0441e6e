/**
 * The measuring loop of an interleaved A/B comparison, run inside one process (the child of
 * interleave.ts, or a benchmark): ABBA rounds over two models on one runtime.
 *
 * After one untimed block per side, round r times A then B when r is even, B then A when odd (A B | B A | A B | ...), so a linear
 * drift over the run adds the same to both sides. Each block opens a fresh session, warms it
 * up, times `runsPerRound` runs and closes it: two sessions of one model in one process can
 * differ by several percent for as long as they live (memory placement of their buffers; seen
 * as ±5% on the tiny CNN on a 2-core EPYC), a bias that alternating blocks cannot cancel but fresh
 * sessions turn into noise that averages out over the rounds.
 */
import type { Availability, Feeds, Runner, Session } from '../runners/runner.ts';

export interface AbSide {
  bytes: Uint8Array;
  feeds: Feeds;
  /** A model file's external-data files, handed to each of its sessions. */
  externalData?: { path: string; data: Uint8Array }[];
}

export interface AbPlan {
  rounds: number;
  runsPerRound: number;
  /** Untimed runs of each fresh session before its block. */
  warmup: number;
  threads: number;
  /** Benchmark/test only: B spins after each run for this fraction of the run's own duration. */
  slowdownForTest?: number;
}

export interface AbSamples {
  a: number[];
  b: number[];
  /** The blocks in the order run, e.g. 'ABBAAB'. */
  order: string;
}

async function timedRun(session: Session, feeds: Feeds, slow: number): Promise<number> {
  const t0 = performance.now();
  await session.run(feeds);
  if (slow > 0) {
    // NOTE: the planted slowdown spins for `slow` times this run's own duration, inside the timed span.
    const until = t0 + (performance.now() - t0) * (1 + slow);
    while (performance.now() < until);
  }
  return performance.now() - t0;
}

export async function abRounds(runner: Runner, availability: Availability, a: AbSide, b: AbSide, plan: AbPlan): Promise<AbSamples> {
  const open = plan.threads > 0 ? { threads: plan.threads } : {};
  const sides = [
    { ...a, samples: [] as number[], slow: 0 },
    { ...b, samples: [] as number[], slow: plan.slowdownForTest ?? 0 },
  ];
  if (availability.software) {
    // NOTE: a software adapter (SwiftShader) proves the runtime runs both models; its speed is never compared.
    for (const s of sides) {
      const session = await runner.open(s.bytes, s.externalData ? { ...open, externalData: s.externalData } : open);
      try {
        s.samples.push(await timedRun(session, s.feeds, 0));
      } finally {
        await session.close();
      }
    }
    return { a: sides[0].samples, b: sides[1].samples, order: 'AB' };
  }
  // NOTE: one untimed block per side first: the first minutes of a process (lazy pages, JIT, a
  // core's clock ramping up) would otherwise all land on A's first block.
  for (const s of sides) {
    const session = await runner.open(s.bytes, s.externalData ? { ...open, externalData: s.externalData } : open);
    try {
      for (let i = 0; i < plan.warmup + plan.runsPerRound; i++) await session.run(s.feeds);
    } finally {
      await session.close();
    }
  }
  let order = '';
  for (let r = 0; r < plan.rounds; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const s = sides[k];
      order += k === 0 ? 'A' : 'B';
      const session = await runner.open(s.bytes, s.externalData ? { ...open, externalData: s.externalData } : open);
      try {
        for (let i = 0; i < plan.warmup; i++) await session.run(s.feeds);
        for (let i = 0; i < plan.runsPerRound; i++) s.samples.push(await timedRun(session, s.feeds, s.slow));
      } finally {
        await session.close();
      }
    }
  }
  return { a: sides[0].samples, b: sides[1].samples, order };
}
