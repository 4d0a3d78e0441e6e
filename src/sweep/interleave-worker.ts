/**
 * The child side of interleave.ts: runs one interleaved A/B job (ab-rounds.ts) on one runtime
 * and answers with every sample in the order taken. Anything thrown becomes a 'fatal' reply;
 * dying is left to the parent to notice.
 */
import { errorLine } from '../errors.ts';
import { classifyFailure } from '../runners/measure.ts';
import { getRunner } from '../runners/runner.ts';
import { abRounds } from './ab-rounds.ts';
import type { InterleaveJob, InterleaveReply } from './interleave.ts';

function reply(message: InterleaveReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function run(job: InterleaveJob): Promise<InterleaveReply> {
  const runner = getRunner(job.runtime);
  const availability = await runner.available();
  if (!availability.ok) return { kind: 'result', status: 'unavailable', error: availability.reason ?? `${job.runtime} unavailable`, availability, a: [], b: [], order: '' };
  try {
    return { kind: 'result', status: 'ok', availability, ...(await abRounds(runner, availability, job.a, job.b, job)) };
  } catch (e) {
    return { kind: 'result', ...classifyFailure(e), availability, a: [], b: [], order: '' };
  }
}

process.once('message', async (job: InterleaveJob) => {
  if (job.crashForTest === 'abort') process.abort();
  // NOTE: a synchronous spin blocks the event loop, as a wedged native call would.
  if (job.crashForTest === 'hang') for (;;);
  try {
    await reply(await run(job));
  } catch (e) {
    await reply({ kind: 'fatal', error: errorLine(e) }).catch(() => undefined);
  }
  process.exit(0);
});
