/**
 * TEST-ONLY: `MELBENCH_TEST_CRASH=<runtime>:<abort|segfault|exit|hang>[,...]` makes the isolated
 * measure child of that runtime die or hang before measuring (isolate-worker.ts's `crashForTest`),
 * so that tests can plant a crash or a hang in a real sweep and check that it still completes,
 * with `crashed` and `timeout` rows. Read here and nowhere else; never set it outside tests.
 * It only acts on isolated runs (`runInProcess` ignores `crashForTest`).
 */
import { UserError } from '../errors.ts';
import type { MeasureJob } from '../runners/measure.ts';
import type { RuntimeName } from '../runners/runner.ts';

const HOWS = ['abort', 'segfault', 'exit', 'hang'] as const;
type How = (typeof HOWS)[number];

/** The planted failure for `runtime`, if MELBENCH_TEST_CRASH names one. */
export function testCrashFor(runtime: RuntimeName, env: NodeJS.ProcessEnv = process.env): Pick<MeasureJob, 'crashForTest'> {
  const spec = env.MELBENCH_TEST_CRASH;
  if (!spec) return {};
  for (const item of spec.split(',')) {
    const [rt, how] = item.trim().split(':');
    if (!HOWS.includes(how as How)) throw new UserError(`MELBENCH_TEST_CRASH (test-only) must be <runtime>:<${HOWS.join('|')}>[,...], got '${spec}'`);
    if (rt === runtime) return { crashForTest: how as How };
  }
  return {};
}
