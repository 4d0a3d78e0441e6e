/**
 * The child side of interleave.ts: opens both models' sessions on one runtime, then times them in
 * alternating blocks (A B, B A, A B, ...: ABBA order, so a linear drift over the run adds the same
 * to both sides), and answers with every sample in the order taken. Anything thrown becomes a
 * 'fatal' reply; dying is left to the parent to notice.
 */
import { errorLine } from '../errors.ts';
import { classifyFailure } from '../runners/measure.ts';
import { getRunner, type Session } from '../runners/runner.ts';
import type { InterleaveJob, InterleaveReply } from './interleave.ts';

function reply(message: InterleaveReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function timedRun(session: Session, feeds: InterleaveJob['a']['feeds']): Promise<number> {
  const t0 = performance.now();
  await session.run(feeds);
  return performance.now() - t0;
}

async function run(job: InterleaveJob): Promise<InterleaveReply> {
  const runner = getRunner(job.runtime);
  const availability = await runner.available();
  if (!availability.ok) return { kind: 'result', status: 'unavailable', error: availability.reason ?? `${job.runtime} unavailable`, availability, a: [], b: [], order: '' };
  const sessions: Session[] = [];
  try {
    const open = job.threads > 0 ? { threads: job.threads } : {};
    try {
      sessions.push(await runner.open(job.a.bytes, open), await runner.open(job.b.bytes, open));
    } catch (e) {
      return { kind: 'result', ...classifyFailure(e), availability, a: [], b: [], order: '' };
    }
    const sides = [
      { session: sessions[0], feeds: job.a.feeds, samples: [] as number[], slow: 0 },
      { session: sessions[1], feeds: job.b.feeds, samples: [] as number[], slow: job.slowdownForTest ?? 0 },
    ];
    if (availability.software) {
      // NOTE: a software adapter (SwiftShader) proves the runtime runs both models; its speed is never compared.
      for (const s of sides) s.samples.push(await timedRun(s.session, s.feeds));
      return { kind: 'result', status: 'ok', availability, a: sides[0].samples, b: sides[1].samples, order: 'AB' };
    }
    for (let i = 0; i < job.warmup; i++) for (const s of sides) await s.session.run(s.feeds);
    let order = '';
    for (let r = 0; r < job.rounds; r++) {
      for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const s = sides[k];
        order += k === 0 ? 'A' : 'B';
        for (let i = 0; i < job.runsPerRound; i++) {
          const t0 = performance.now();
          await s.session.run(s.feeds);
          if (s.slow > 0) {
            // NOTE: the planted slowdown spins for `slow` times this run's own duration, inside the timed span.
            const until = t0 + (performance.now() - t0) * (1 + s.slow);
            while (performance.now() < until);
          }
          s.samples.push(performance.now() - t0);
        }
      }
    }
    return { kind: 'result', status: 'ok', availability, a: sides[0].samples, b: sides[1].samples, order };
  } catch (e) {
    return { kind: 'result', ...classifyFailure(e), availability, a: [], b: [], order: '' };
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
  }
}

process.once('message', async (job: InterleaveJob) => {
  try {
    await reply(await run(job));
  } catch (e) {
    await reply({ kind: 'fatal', error: errorLine(e) }).catch(() => undefined);
  }
  process.exit(0);
});
