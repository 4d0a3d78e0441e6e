/**
 * The feeds of one model at one batch size, whichever way it is fed: a trained model its test
 * clips, a planned model every input of its signature (src/sweep/feeds.ts), a model built by
 * ablate its features (encoded for an int8/uint8/float16 input). `floatFeeds` is what the fp32
 * reference of a compressed variant takes: the same, with the features unencoded.
 */
import { EXIT, UserError } from '../errors.ts';
import type { Feeds } from '../runners/runner.ts';
import { makeFeeds } from './feeds.ts';
import { clipBatch, makeBatch, sha256 } from './inputs.ts';
import { encode } from './io-codec.ts';
import { type BenchModel, firstInputName } from './models.ts';

export interface ModelFeeds {
  feeds: Feeds;
  floatFeeds: Feeds;
  sha256: string;
  shape: string;
}

export function modelFeeds(m: BenchModel, batch: number): ModelFeeds {
  if (m.plan && !m.trained) {
    const f = makeFeeds(m.plan, batch, m.name);
    const coded = m.plan.inputs.find((p) => p.codec);
    const floatFeeds = coded ? { ...f.feeds, [coded.name]: makeBatch(coded.features!, batch) } : f.feeds;
    return { feeds: f.feeds, floatFeeds, sha256: f.sha256, shape: f.shape };
  }
  const name = firstInputName(m);
  const t = m.trained ? clipBatch(m.trained.evalSet.x, m.trained.evalSet.dims, batch) : makeBatch(m.features, batch);
  const fed = encode(t, m.io.input);
  return { feeds: { [name]: fed }, floatFeeds: { [name]: t }, sha256: sha256(fed), shape: t.dims.join('x') };
}

export interface BatchInput {
  batch: number;
  /** What the model is fed: the float32 features, encoded when its input is int8/float16. */
  feeds: Feeds;
  /** The float32 features themselves, for the fp32 reference. */
  floatFeeds: Feeds;
  sha256: string;
  shape: string;
}

/**
 * The feeds of each batch. When `--dim batch=N` fixed the batch dim, the feeds are batch N and
 * so is the row (and its throughput); with a --batch other than the default 1 that is two
 * answers to one question: exit 2.
 */
export function batchInputs(m: BenchModel, batches: number[]): BatchInput[] {
  const fixed = m.plan && !m.trained ? m.plan.fixedBatch : undefined;
  if (fixed) {
    if (batches.length !== 1 || batches[0] !== 1) {
      throw new UserError(`${m.name}: --dim ${fixed.dim}=${fixed.size} fixes the batch dim, so --batch ${batches.join(',')} cannot apply; drop --dim ${fixed.dim}=... and use --batch ${batches.join(',')}, or drop --batch`, EXIT.usage);
    }
    return [{ batch: fixed.size, ...modelFeeds(m, 1) }];
  }
  return batches.map((batch) => ({ batch, ...modelFeeds(m, batch) }));
}
