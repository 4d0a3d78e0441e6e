/**
 * `--input`, `--dim` and `--shape`: one way to describe a model's inputs, for every command that
 * runs a model (bench, quantize, prune, ablate --models file.onnx, compare --models). Registered
 * and resolved here only, so each flag has the same syntax, help and meaning everywhere; what each
 * value feeds, and whether it fits the model, is src/sweep/feeds.ts's business.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import type { FeatureTensor } from '../features/types.ts';
import { getPreset } from '../features/presets.ts';
import { type InputFlag, loadInputValues } from '../sweep/feed-values.ts';
import type { FeedOptions } from '../sweep/feeds.ts';
import { readFeaturesNpy } from '../sweep/inputs.ts';
import { collect, dimFlag, inputFlag, shapeFlag } from './options.ts';

/** The three flags as commander parses them. */
export interface FeedFlagOptions {
  input?: InputFlag[];
  dim?: [string, number][];
  shape?: [string, number[]][];
}

/** What the flags resolve to: the named values, dims and shapes, and the bare features file. */
export interface ResolvedFeeds {
  /** --dim, --shape and named --input values; undefined when none is given. */
  feed?: Omit<FeedOptions, 'features' | 'seed'>;
  /** The bare `--input features.npy`: [C, M, T] for the log-mel input. */
  features?: FeatureTensor;
}

/** Adds --input, --dim and --shape to a command, with the same help on every command. */
export function addFeedOptions(cmd: Command): Command {
  return cmd
    .option(
      '--input <spec>',
      "name=file.npy | name=<number> | name=audio.wav feeds that input (repeatable); a bare features.npy ([C, M, T] from 'melbench features') feeds the log-mel input instead of the built-in test signal",
      collect(inputFlag),
    )
    .option('--dim <name=value>', "fixes a named free dim of the model's inputs, e.g. --dim seq=512 (repeatable)", collect(dimFlag))
    .option('--shape <input=AxB>', "sets a whole input's shape, e.g. --shape input=1x512; 'sr=' for a scalar (repeatable)", collect(shapeFlag));
}

/** True when any of the three flags was given. */
export function hasFeedFlags(o: FeedFlagOptions): boolean {
  return Boolean(o.input?.length || o.dim?.length || o.shape?.length);
}

/** The one `--input` without a name (features for the log-mel input), if any. */
function bareInput(flags: InputFlag[] | undefined): InputFlag | undefined {
  const bare = (flags ?? []).filter((f) => f.name === undefined);
  if (bare.length > 1) throw new UserError(`--input: give one features file without a name, got ${bare.length} (${bare.map((f) => f.value).join(', ')}); name the others: --input <input>=file.npy`);
  return bare[0];
}

function once<T>(pairs: [string, T][] | undefined, flag: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of pairs ?? []) {
    if (k in out) throw new UserError(`${flag} ${k}=... is given twice`);
    out[k] = v;
  }
  return out;
}

/** Loads the flags' values (.npy, numbers, audio resampled to `preset`'s rate) once per run. */
export async function resolveFeedFlags(o: FeedFlagOptions, preset = 'default'): Promise<ResolvedFeeds> {
  const bare = bareInput(o.input);
  const named = (o.input ?? []).filter((f) => f.name !== undefined);
  const features = bare ? readFeaturesNpy(bare.value) : undefined;
  if (!o.dim?.length && !o.shape?.length && !named.length) return features ? { features } : {};
  const feed = { dims: once(o.dim, '--dim'), shapes: once(o.shape, '--shape'), values: await loadInputValues(named, getPreset(preset)) };
  return { feed, ...(features ? { features } : {}) };
}

/**
 * The flags of a command whose samples fill the model's float input (quantize, prune, ablate on
 * a file: `samplesFlag` gives them): only named values, since a bare features file has no
 * log-mel input left to feed there.
 */
export async function resolveNamedFeedFlags(o: FeedFlagOptions, samplesFlag: string, preset = 'default'): Promise<ResolvedFeeds['feed']> {
  const bare = (o.input ?? []).find((f) => f.name === undefined);
  if (bare) throw new UserError(`--input ${bare.value}: a features file without an input name feeds bench's log-mel input, and here ${samplesFlag} fills the model's float input; name the input it is for: --input <name>=file.npy`);
  return (await resolveFeedFlags(o, preset)).feed;
}
