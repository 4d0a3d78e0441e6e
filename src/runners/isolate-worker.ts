/**
 * The child side of isolate.ts: takes one request over IPC, answers with rows (or an
 * availability) as they are ready, then 'done', and exits. Anything thrown becomes a 'fatal'
 * reply; dying is left to the parent to notice.
 */
import { errorLine } from '../errors.ts';
import type { WorkerReply, WorkerRequest } from './isolate.ts';
import { measure, type MeasureJob } from './measure.ts';
import { getRunner } from './runner.ts';

function reply(message: WorkerReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

function crash(how: NonNullable<MeasureJob['crashForTest']>): void {
  if (how === 'abort') process.abort();
  if (how === 'segfault') process.kill(process.pid, 'SIGSEGV');
  if (how === 'exit') process.exit(3);
  // NOTE: a synchronous spin blocks the event loop, as a wedged native call would.
  for (;;);
}

process.once('message', async (request: WorkerRequest) => {
  try {
    if (request.kind === 'available') {
      await reply({ kind: 'availability', availability: await getRunner(request.runtime).available() });
    } else {
      if (request.job.crashForTest) crash(request.job.crashForTest);
      const pending: Promise<void>[] = [];
      await measure(getRunner(request.job.runtime), request.job, (row) => pending.push(reply({ kind: 'row', row })));
      await Promise.all(pending);
    }
    await reply({ kind: 'done' });
  } catch (e) {
    await reply({ kind: 'fatal', error: errorLine(e) }).catch(() => undefined);
  }
  process.exit(0);
});
