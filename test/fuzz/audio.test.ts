/**
 * Fuzzing the features path: 1,000 seeded mutations of the WAV and FLAC files in test/data/audio
 * (truncation, bit flips, swapped header fields, length/count/rate fields set to extremes) go
 * through what `melbench features` does, in-process: decode, check, resample, log-mel, finite
 * check. Every case must end in one of two classes: features (ok), or a UserError with its exit
 * code. Anything else thrown (a TypeError, a RangeError from an allocation, an InternalError) is a
 * failure reported with the seed and the mutation. A hang would stop the test at its timeout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { checkAudio, decodeAudio } from '../../src/features/decode.ts';
import { checkFiniteFeatures } from '../../src/features/finite.ts';
import { computeFeatures } from '../../src/features/frontend.ts';
import { getPreset, type Preset } from '../../src/features/presets.ts';
import { resample } from '../../src/features/resample.ts';
import { Rng } from '../../src/rng.ts';
import { bitFlips, fieldSwap, type Mutant, setField, truncate } from './mutate.ts';

const SEED = 14;
const CASES = 1000;
/**
 * Each file with a preset at its own rate, so only a mutated rate makes the case resample
 * (libsamplerate's best sinc is most of a case's time); mutated rates still reach it often.
 */
const FILES = [
  ['mono24.wav', 'seed003-mel128'],
  ['stereo16.wav', 'default'],
  ['mono24.flac', 'seed003-mel128'],
  ['stereo16.flac', 'default'],
].map(([name, preset]) => ({ name, preset: getPreset(preset), bytes: new Uint8Array(readFileSync(new URL(`../data/audio/${name}`, import.meta.url))) }));

/**
 * The header fields worth breaking. WAV (little-endian): RIFF size 4, channels 22, rate 24, byte
 * rate 28, block align 32, bits 34, data size 40 (after 'data' at 36 in a canonical header; found
 * by search). FLAC (big-endian): the STREAMINFO block after 'fLaC' at 4, its length at 5..7, block
 * sizes 8 and 10, frame sizes 12 and 15, then rate / channels / bits / total samples packed in 18..25.
 */
function fieldMutation(src: Uint8Array, rng: Rng, isWav: boolean): Mutant {
  if (isWav) {
    const dataAt = Buffer.from(src).indexOf('data');
    const fields: [number, 2 | 4, string][] = [[4, 4, 'RIFF size'], [16, 4, 'fmt size'], [20, 2, 'format'], [22, 2, 'channels'], [24, 4, 'sample rate'], [28, 4, 'byte rate'], [32, 2, 'block align'], [34, 2, 'bits'], [dataAt + 4, 4, 'data size']];
    const [offset, width, label] = fields[rng.int(fields.length)];
    return setField(src, rng, offset, width, true, label);
  }
  const fields: [number, 1 | 2 | 4, string][] = [[5, 2, 'block length'], [8, 2, 'min block size'], [10, 2, 'max block size'], [12, 2, 'min frame size'], [18, 4, 'rate/channels/bits'], [20, 2, 'channels/bits'], [22, 4, 'total samples'], [4, 1, 'block type']];
  const [offset, width, label] = fields[rng.int(fields.length)];
  return setField(src, rng, offset, width, false, label);
}

function mutate(src: Uint8Array, rng: Rng, isWav: boolean): Mutant {
  const header = 64;
  switch (rng.int(4)) {
    case 0:
      return truncate(src, rng);
    case 1:
      return bitFlips(src, rng, header);
    case 2:
      return fieldSwap(src, rng, header);
    default:
      return fieldMutation(src, rng, isWav);
  }
}

type Outcome = 'ok' | `exit ${number}`;

async function featuresOf(bytes: Uint8Array, name: string, preset: Preset): Promise<void> {
  const decoded = await decodeAudio(bytes, name);
  checkAudio(decoded, name);
  const f = computeFeatures(await resample(decoded, preset.sampleRate), preset);
  checkFiniteFeatures(f, name);
}

describe('fuzz: mutated audio through features', () => {
  it(`${CASES} seeded mutations end in features or a user error, never anything else`, async () => {
    const rng = new Rng(SEED);
    const outcomes = new Map<Outcome, number>();
    const failures: string[] = [];
    let slowest = 0;
    const start = performance.now();
    for (let k = 0; k < CASES; k++) {
      const file = FILES[k % FILES.length];
      const m = mutate(file.bytes, rng, file.name.endsWith('.wav'));
      let outcome: Outcome = 'ok';
      const t0 = performance.now();
      try {
        await featuresOf(m.bytes, `case${k}-${file.name}`, file.preset);
      } catch (e) {
        if (e instanceof UserError) outcome = `exit ${e.exitCode}`;
        else failures.push(`seed ${SEED} case ${k} ${file.name} ${m.what}: ${(e as Error)?.name}: ${(e as Error)?.message ?? e}`);
      }
      slowest = Math.max(slowest, performance.now() - t0);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(`audio fuzz: ${CASES} cases in ${seconds.toFixed(1)} s, slowest ${slowest.toFixed(0)} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; failures ${failures.length}`);
    expect(failures).toEqual([]);
    // Both classes must occur, or the mutations are not reaching the decoder's error paths (or its happy path).
    expect(outcomes.get('ok')).toBeGreaterThan(50);
    expect(outcomes.get('exit 3')).toBeGreaterThan(50);
    // Every bad file is bad input (exit 3), never a usage or model error.
    expect([...outcomes.keys()].sort()).toEqual(['exit 3', 'ok']);
    // No case comes near a hang: the slowest is bounded well below the 60 s budget of the whole test.
    expect(slowest).toBeLessThan(5_000);
  }, 60_000);
});
