/**
 * `melbench features <audio> --preset <name> -o out.npy`: one file's features as a float32 .npy
 * of shape [channels, mels (or coefficients), frames], resampled to the preset's rate when needed;
 * `--layout TM` (src/features/layout.ts) writes the axes in the order a model takes them.
 */
import { writeFile } from 'node:fs/promises';
import { EXIT, UserError } from '../errors.ts';
import { checkAudio, readAudioFile } from '../features/decode.ts';
import { computeFeatures } from '../features/frontend.ts';
import { checkFiniteFeatures } from '../features/finite.ts';
import { LAYOUT_EXAMPLES, toLayout } from '../features/layout.ts';
import { encodeNpy } from '../features/npy.ts';
import { getPreset, PRESET_NAMES } from '../features/presets.ts';
import { resample } from '../features/resample.ts';
import type { RegisterCommand } from './command.ts';

interface FeaturesOptions {
  preset: string;
  output?: string;
  check: boolean;
  layout: string;
}

export const register: RegisterCommand = (program) => {
  program
    .command('features')
    .description('compute one audio file\'s features (WAV or FLAC) and write them as a NumPy .npy array')
    .argument('<audio>', 'a WAV or FLAC file')
    .option('-p, --preset <name>', `feature preset (${PRESET_NAMES.join(', ')})`, 'default')
    .option('-o, --output <file.npy>', 'write the float32 array here ([C, M, T] unless --layout)')
    .option('--no-check', 'accept silent files (NaN/infinite samples are always rejected)')
    .option('--layout <axes>', `axis order of the written array: C channels, M mels, T frames, N or 1 a unit axis (${LAYOUT_EXAMPLES.join(', ')})`, 'CMT')
    .action(async (path: string, o: FeaturesOptions) => {
      const preset = getPreset(o.preset);
      // NOTE: checked on a 1x1x1 tensor first, so a bad --layout fails before the audio is read.
      toLayout({ data: new Float32Array(1), dims: [1, 1, 1] }, o.layout);
      const decoded = await readAudioFile(path);
      if (o.check) checkAudio(decoded, path);
      else {
        try {
          checkAudio(decoded, path);
        } catch (e) {
          if ((e as { kind?: string }).kind !== 'silent') throw e;
        }
      }
      const audio = await resample(decoded, preset.sampleRate);
      const f = computeFeatures(audio, preset);
      checkFiniteFeatures(f, path);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of f.data) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const seconds = decoded.channels[0].length / decoded.sampleRate;
      const rate = decoded.sampleRate === preset.sampleRate ? `${preset.sampleRate} Hz` : `${decoded.sampleRate} Hz -> ${preset.sampleRate} Hz`;
      process.stdout.write(
        `${path}: ${decoded.channels.length} ch, ${seconds.toFixed(3)} s, ${rate}; preset ${preset.name} -> ` +
          `shape [${f.dims.join(', ')}] (C, ${preset.kind === 'mfcc' ? 'coefficients' : 'mels'}, frames), ` +
          `range [${lo.toFixed(2)}, ${hi.toFixed(2)}]\n`,
      );
      if (o.output) {
        const laid = toLayout(f, o.layout);
        try {
          await writeFile(o.output, encodeNpy(laid));
        } catch (e) {
          throw new UserError(`${o.output}: cannot write features (${(e as Error).message})`, EXIT.output);
        }
        process.stdout.write(`wrote ${o.output}${o.layout.toUpperCase() === 'CMT' ? '' : ` as ${o.layout.toUpperCase()} [${laid.dims.join(', ')}]`}\n`);
      }
    });
};
