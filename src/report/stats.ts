/**
 * The statistics behind `melbench compare`: is the current latency really different from the
 * baseline's, and by how much? Two samples of per-run latencies, `base` (n) and `cur` (m).
 *
 * - Ratio of medians r = median(cur) / median(base), with a percentile bootstrap CI: draw n runs
 *   from base and m from cur with replacement, B times (seeded), take r* of each draw; the CI at
 *   confidence c is the [(1-c)/2, (1+c)/2] quantiles of the r*. Medians, not means: latency has a
 *   long right tail (GC, a preempted core) that moves a mean, not a median.
 * - Mann–Whitney U (two-sided), normal approximation with tie and continuity corrections:
 *   U = W - n(n+1)/2 where W is the rank sum of base (simple-statistics' wilcoxonRankSum, ties
 *   given their mean rank), E[U] = nm/2,
 *   Var[U] = nm/12 · ((N+1) - Σ(t³-t) / (N(N-1))), N = n+m, t the size of each group of ties,
 *   z = (|U - E[U]| - 1/2) / sqrt(Var[U]), p = 2·(1 - Φ(z)) with Φ(z) = (1 + erf(z/√2)) / 2.
 *   The approximation is good for n, m ≥ 10 (Google Benchmark's compare.py asks 9+ repetitions);
 *   melbench cells have 50 samples or more.
 *   For interleaved A/B runs the draws are whole rounds instead, paired (ratioOfMediansPaired);
 *   for stored runs whose samples are in the order taken, blocks of consecutive runs (ratioOfMediansBlocks).
 * - Sessions as the unit (ratioOfSessionMedians), for stored runs measured in several sessions
 *   (`bench --sessions N`): a session keeps its own bias for its life (placement, a neighbour's
 *   load while it ran: ±5–20% on a shared 2-core machine), so the runs of one session are not
 *   independent draws of the cell's latency, and no resampling inside one session can see that.
 *   Each session is summarised by the log of its median, x_i (base, n sessions) and y_j (cur, m);
 *   the estimate is d = ȳ - x̄, the log of the ratio of the sessions' geometric-mean medians.
 *   Var(x_i) = σ_between² + σ_within²/(runs per session) is estimated from the sessions
 *   themselves, so both levels are in the interval (the standard summary-measures analysis of a
 *   two-level design). Welch: se² = s_x²/n + s_y²/m, ν = se⁴ / ((s_x²/n)²/(n-1) + (s_y²/m)²/(m-1));
 *   with one session on a side, that side gives no variance, and the pooled (Student) form is used:
 *   s² = (Σ(x_i - x̄)² + Σ(y_j - ȳ)²) / (n+m-2), se² = s²(1/n + 1/m), ν = n+m-2 (needs n+m ≥ 3).
 *   CI: exp(d ± t_{(1+c)/2, ν} · se). Student's t, not a bootstrap: with 3–10 units a percentile
 *   bootstrap's interval is too narrow (it cannot draw a session it did not see).
 * - A distribution-free CI of one median, from order statistics: with the samples sorted, the
 *   ranks n/2 ± z·√n/2 (binomial(n, 1/2) approximated as normal) bound the median at confidence c,
 *   z = Φ⁻¹((1+c)/2). Used for the exports' lower/upper values.
 *
 * NOTE: all three treat the runs of one sample as independent. Runs in one process are not quite
 * (drift, a noisy neighbour for a second), which makes the intervals too narrow on a shared
 * machine; that is why `compare` also asks for a minimum effect size (the threshold) and why the
 * interleaved A/B mode alternates rounds so that drift hits both sides alike.
 */
import { errorFunction, inverseErrorFunction, median, wilcoxonRankSum } from 'simple-statistics';
import { Rng } from '../rng.ts';
import { studentTQuantile } from './student-t.ts';

export interface RatioCi {
  /** median(cur) / median(base). */
  ratio: number;
  lo: number;
  hi: number;
  confidence: number;
}

export interface MannWhitney {
  u: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** Φ⁻¹(p), the standard normal quantile. */
export function normalQuantile(p: number): number {
  return Math.SQRT2 * inverseErrorFunction(2 * p - 1);
}

export function mannWhitney(base: readonly number[], cur: readonly number[]): MannWhitney {
  const n = base.length;
  const m = cur.length;
  const N = n + m;
  const u = wilcoxonRankSum(base as number[], cur as number[]) - (n * (n + 1)) / 2;
  const pooled = [...base, ...cur].sort((a, b) => a - b);
  let ties = 0;
  for (let i = 0; i < N; ) {
    let j = i + 1;
    while (j < N && pooled[j] === pooled[i]) j++;
    const t = j - i;
    ties += t * t * t - t;
    i = j;
  }
  const variance = ((n * m) / 12) * (N + 1 - ties / (N * (N - 1)));
  if (!(variance > 0)) return { u, z: 0, p: 1 };
  const z = Math.max(0, Math.abs(u - (n * m) / 2) - 0.5) / Math.sqrt(variance);
  return { u, z, p: Math.min(1, 2 * (1 - normalCdf(z))) };
}

/** Median of `buf` by quickselect (Hoare partition); reorders `buf` in place. */
function medianOfDraw(buf: Float64Array): number {
  const n = buf.length;
  const select = (k: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const pivot = buf[(lo + hi) >> 1];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (buf[i] < pivot) i++;
        while (buf[j] > pivot) j--;
        if (i <= j) {
          const t = buf[i];
          buf[i] = buf[j];
          buf[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return buf[k];
    }
    return buf[k];
  };
  if (n % 2 === 1) return select((n - 1) / 2);
  const a = select(n / 2 - 1);
  // NOTE: after selecting n/2-1, every element right of it is >= it; the upper middle is their minimum.
  let b = Number.POSITIVE_INFINITY;
  for (let i = n / 2; i < n; i++) if (buf[i] < b) b = buf[i];
  return (a + b) / 2;
}

export interface BootstrapOptions {
  confidence: number;
  resamples: number;
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { confidence: 0.95, resamples: 2000, seed: 1 };

export function ratioOfMedians(base: readonly number[], cur: readonly number[], o: BootstrapOptions = DEFAULT_BOOTSTRAP): RatioCi {
  const ratio = median(cur as number[]) / median(base as number[]);
  const rng = new Rng(o.seed);
  const bb = new Float64Array(base.length);
  const cb = new Float64Array(cur.length);
  const draws = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; r++) {
    for (let i = 0; i < bb.length; i++) bb[i] = base[rng.int(base.length)];
    for (let i = 0; i < cb.length; i++) cb[i] = cur[rng.int(cur.length)];
    draws[r] = medianOfDraw(cb) / medianOfDraw(bb);
  }
  return percentileCi(ratio, draws, o.confidence);
}

/**
 * The same ratio of pooled medians, with a paired block bootstrap for interleaved A/B runs:
 * base and cur are k blocks of `blockSize` consecutive samples, block i of each side measured
 * back to back (one ABBA round). A draw picks k round indices with replacement and pools both
 * sides' blocks of those rounds. Resampling whole rounds keeps what happens between rounds (a
 * noisy neighbour for a second, a fresh session's placement) in the interval, which resampling
 * single runs would hide; pairing keeps A and B of one round together, so a burst that slows
 * both cancels in the ratio.
 */
export function ratioOfMediansPaired(base: readonly number[], cur: readonly number[], blockSize: number, o: BootstrapOptions = DEFAULT_BOOTSTRAP): RatioCi {
  const k = base.length / blockSize;
  if (!Number.isInteger(k) || cur.length !== base.length || k < 1) throw new Error(`paired blocks need equal sides of whole blocks: ${base.length} and ${cur.length} samples, blocks of ${blockSize}`);
  const ratio = median(cur as number[]) / median(base as number[]);
  const rng = new Rng(o.seed);
  const bb = new Float64Array(base.length);
  const cb = new Float64Array(cur.length);
  const draws = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; r++) {
    for (let j = 0; j < k; j++) {
      const from = rng.int(k) * blockSize;
      for (let i = 0; i < blockSize; i++) {
        bb[j * blockSize + i] = base[from + i];
        cb[j * blockSize + i] = cur[from + i];
      }
    }
    draws[r] = medianOfDraw(cb) / medianOfDraw(bb);
  }
  return percentileCi(ratio, draws, o.confidence);
}

/**
 * The ratio of pooled medians for two runs whose samples are in the order taken (unpaired): each
 * side is cut into `blocks` runs of consecutive samples, and a draw picks that many blocks with
 * replacement per side, independently (a moving-block bootstrap with fixed blocks). Consecutive
 * runs share the machine's state (a busy neighbour, a clock step), so resampling blocks keeps that
 * dependence in the interval where resampling single runs would average it away.
 */
export function ratioOfMediansBlocks(base: readonly number[], cur: readonly number[], blocks: number, o: BootstrapOptions = DEFAULT_BOOTSTRAP): RatioCi {
  const ratio = median(cur as number[]) / median(base as number[]);
  const rng = new Rng(o.seed);
  const bSide = new BlockMedian(base, blocks);
  const cSide = new BlockMedian(cur, blocks);
  const draws = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; r++) {
    const bm = bSide.draw(rng);
    draws[r] = cSide.draw(rng) / bm;
  }
  return percentileCi(ratio, draws, o.confidence);
}

/** Index of the first element of ascending `xs` greater than `x` (= the count of elements <= x). */
function upperBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One side of the block bootstrap: its samples cut into k blocks of consecutive runs, and the
 * median of a draw of k blocks with replacement, computed without pooling the draw.
 *
 * The draw is the multiset where block b appears c_b times (Σ c_b = k). Its j-th smallest value
 * (0-based) is the smallest v among the side's own values with count(v) = Σ_b c_b · #{x in b: x <= v} > j,
 * so each block is sorted once, and each order statistic is a binary search over the side's sorted
 * values with a binary search per drawn block: O(k log² n) a draw instead of O(n) to pool and select,
 * with the same result exactly (the same values, ties included) and the same random stream as
 * pooling would use (one rng.int(k) per block, in order).
 */
class BlockMedian {
  private readonly sorted: Float64Array[];
  private readonly all: Float64Array;
  private readonly counts: Int32Array;

  constructor(xs: readonly number[], blocks: number) {
    const k = Math.max(1, Math.min(blocks, xs.length));
    const size = Math.floor(xs.length / k);
    this.sorted = Array.from({ length: k }, (_, i) => Float64Array.from(xs.slice(i * size, i === k - 1 ? xs.length : (i + 1) * size)).sort());
    this.all = Float64Array.from(xs).sort();
    this.counts = new Int32Array(k);
  }

  draw(rng: Rng): number {
    const k = this.sorted.length;
    this.counts.fill(0);
    for (let i = 0; i < k; i++) this.counts[rng.int(k)]++;
    let n = 0;
    for (let b = 0; b < k; b++) n += this.counts[b] * this.sorted[b].length;
    const lower = this.orderStatistic((n - 1) >> 1);
    return n % 2 === 1 ? lower : (lower + this.orderStatistic(n >> 1)) / 2;
  }

  /** The j-th smallest value (0-based) of the current draw. */
  private orderStatistic(j: number): number {
    let lo = 0;
    let hi = this.all.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.countAtMost(this.all[mid]) > j) hi = mid;
      else lo = mid + 1;
    }
    return this.all[lo];
  }

  private countAtMost(v: number): number {
    let c = 0;
    for (let b = 0; b < this.sorted.length; b++) if (this.counts[b]) c += this.counts[b] * upperBound(this.sorted[b], v);
    return c;
  }
}

export interface SessionRatioCi extends RatioCi {
  /** Degrees of freedom of the t interval. */
  df: number;
  sessionsBase: number;
  sessionsCur: number;
}

/** Session sizes (runs per session, in order) that cut `xs`, checked. */
export function splitSessions(xs: readonly number[], sizes: readonly number[]): number[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== xs.length || sizes.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`session sizes ${sizes.join('+')} do not cut ${xs.length} samples`);
  let at = 0;
  return sizes.map((k) => xs.slice(at, (at += k)));
}

/** Sessions as the unit: a t interval on the logs of per-session medians (see the header). */
export function ratioOfSessionMedians(base: readonly (readonly number[])[], cur: readonly (readonly number[])[], confidence: number): SessionRatioCi {
  const n = base.length;
  const m = cur.length;
  if (n < 1 || m < 1 || n + m < 3) throw new Error(`the session-level test needs at least 3 sessions in all, got ${n} + ${m}`);
  const logMedians = (ss: readonly (readonly number[])[]) => ss.map((s) => Math.log(median(s as number[])));
  const x = logMedians(base);
  const y = logMedians(cur);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const ss = (v: number[], mu: number) => v.reduce((a, b) => a + (b - mu) ** 2, 0);
  const mx = mean(x);
  const my = mean(y);
  const d = my - mx;
  let se2: number;
  let df: number;
  if (n >= 2 && m >= 2) {
    const vx = ss(x, mx) / (n - 1) / n;
    const vy = ss(y, my) / (m - 1) / m;
    se2 = vx + vy;
    df = se2 > 0 ? se2 ** 2 / (vx ** 2 / (n - 1) + vy ** 2 / (m - 1)) : n + m - 2;
  } else {
    df = n + m - 2;
    se2 = ((ss(x, mx) + ss(y, my)) / df) * (1 / n + 1 / m);
  }
  const half = se2 > 0 ? studentTQuantile((1 + confidence) / 2, df) * Math.sqrt(se2) : 0;
  return { ratio: Math.exp(d), lo: Math.exp(d - half), hi: Math.exp(d + half), confidence, df, sessionsBase: n, sessionsCur: m };
}

/** True when `xs` is ascending: samples a run stored sorted (older melbench), not in the order taken. */
export function isAscending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[i - 1]) return false;
  return true;
}

function percentileCi(ratio: number, draws: Float64Array, confidence: number): RatioCi {
  draws.sort();
  const at = (q: number) => draws[Math.min(draws.length - 1, Math.max(0, Math.round(q * (draws.length - 1))))];
  return { ratio, lo: at((1 - confidence) / 2), hi: at((1 + confidence) / 2), confidence };
}

/** Distribution-free CI of the median of `xs` from its order statistics (see the header). */
export function medianCi(xs: readonly number[], confidence: number): { value: number; lo: number; hi: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const half = (normalQuantile((1 + confidence) / 2) * Math.sqrt(n)) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half));
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half) - 1);
  return { value: median(s), lo: s[lo], hi: s[Math.max(lo, hi)] };
}
