/**
 * The resolution of `performance.now()` where a row is timed. Browsers coarsen it (the HR-time
 * spec: 100 us in a page that is not cross-origin isolated, 5 us in one that is; Chromium adds
 * jitter), Node's is sub-microsecond. A sample close to the resolution is mostly quantisation,
 * so timing.ts times such models in groups of runs (`runsPerSample`).
 */

/** Reads the clock until it has stepped `steps` times (or `maxMs` passed); the smallest non-zero step, in microseconds. */
export function timerResolutionUs(steps = 200, maxMs = 50): number {
  const start = performance.now();
  let last = start;
  let smallest = Infinity;
  let seen = 0;
  while (seen < steps) {
    const now = performance.now();
    if (now !== last) {
      smallest = Math.min(smallest, now - last);
      last = now;
      seen++;
    }
    if (now - start > maxMs) break;
  }
  return smallest * 1000;
}
