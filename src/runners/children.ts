/**
 * The child processes melbench has running (isolate and interleave workers), so that an interrupt
 * can end them at once: a SIGINT or SIGTERM sent to melbench alone (as some job runners send it,
 * rather than to the whole process group) would otherwise leave a worker measuring on, re-parented
 * to init, until its job ends.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Tracks `child` until it exits; returns it. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills every tracked child (SIGKILL: a worker in native code may not answer anything gentler); returns how many. */
export function killChildren(): number {
  const n = live.size;
  for (const c of live) c.kill('SIGKILL');
  live.clear();
  return n;
}
