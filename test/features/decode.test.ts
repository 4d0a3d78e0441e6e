import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { AudioError, checkAudio, decodeAudio, readAudioFile, type AudioErrorKind } from '../../src/features/decode.ts';
import { EXIT } from '../../src/errors.ts';

const AUDIO = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'audio');

/** Samples in [-1, 1) exactly representable at every bit depth tested. */
const VALUES = [0, 0.5, -0.5, 0.25, -1, 0.75, -0.125];

function wavBytes(bitDepth: string, channels: number[][], sampleRate = 16000): Uint8Array {
  const w = new wavefile.WaveFile();
  const bits = Number.parseInt(bitDepth, 10);
  const float = bitDepth === '32f' || bitDepth === '64';
  const enc = (v: number) => (float ? v : bits === 8 ? Math.round(128 + v * 128) : Math.round(v * 2 ** (bits - 1)));
  w.fromScratch(channels.length, sampleRate, bitDepth, channels.map((c) => c.map(enc)));
  return w.toBuffer();
}

async function expectAudioError(p: Promise<unknown> | (() => unknown), kind: AudioErrorKind, file: string) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AudioError);
  const a = err as AudioError;
  expect(a.kind).toBe(kind);
  expect(a.exitCode).toBe(EXIT.badInput);
  expect(a.message.startsWith(`${file}: `)).toBe(true);
  expect(a.message).not.toContain('\n');
}

describe('decodeAudio: WAV', () => {
  for (const depth of ['8', '16', '24', '32', '32f', '64']) {
    it(`round-trips ${depth}-bit ${depth.endsWith('f') || depth === '64' ? 'float' : 'PCM'} stereo`, async () => {
      const right = VALUES.map((v) => -v / 2);
      const a = await decodeAudio(wavBytes(depth, [VALUES, right], 22050), `t${depth}.wav`);
      expect(a.sampleRate).toBe(22050);
      expect(a.channels).toHaveLength(2);
      expect(Array.from(a.channels[0])).toEqual(VALUES);
      expect(Array.from(a.channels[1], (v) => v + 0)).toEqual(right.map((v) => v + 0));
    });
  }

  it('detects the format from magic bytes, not the name', async () => {
    const a = await decodeAudio(wavBytes('16', [VALUES]), 'misnamed.flac');
    expect(Array.from(a.channels[0])).toEqual(VALUES);
  });
});

describe('decodeAudio: FLAC', () => {
  for (const name of ['stereo16', 'mono24']) {
    it(`${name}.flac decodes equal to its WAV source`, async () => {
      const wav = await readAudioFile(join(AUDIO, `${name}.wav`));
      const flac = await readAudioFile(join(AUDIO, `${name}.flac`));
      expect(flac.sampleRate).toBe(wav.sampleRate);
      expect(flac.channels.length).toBe(wav.channels.length);
      for (let c = 0; c < wav.channels.length; c++) expect(flac.channels[c]).toEqual(wav.channels[c]);
    });
  }

  it('truncated FLAC is reported as truncated', async () => {
    const bytes = new Uint8Array(readFileSync(join(AUDIO, 'stereo16.flac')));
    await expectAudioError(decodeAudio(bytes.subarray(0, Math.floor(bytes.length * 0.6)), 'cut.flac'), 'truncated', 'cut.flac');
    await expectAudioError(decodeAudio(bytes.subarray(0, 30), 'head.flac'), 'truncated', 'head.flac');
  });
});

describe('bad input gives an AudioError naming the file', () => {
  it('truncated WAV', async () => {
    const b = wavBytes('16', [Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) / 2)]);
    await expectAudioError(decodeAudio(b.subarray(0, b.length - 100), 'cut.wav'), 'truncated', 'cut.wav');
    await expectAudioError(decodeAudio(b.subarray(0, 30), 'hdr.wav'), 'truncated', 'hdr.wav');
  });

  it('corrupt bytes', async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
    await expectAudioError(decodeAudio(junk, 'junk.wav'), 'corrupt', 'junk.wav');
    await expectAudioError(decodeAudio(new Uint8Array([1, 2, 3]), 'tiny.wav'), 'corrupt', 'tiny.wav');
  });

  it('unsupported codecs', async () => {
    const ogg = new Uint8Array(64);
    ogg.set([0x4f, 0x67, 0x67, 0x53]);
    await expectAudioError(decodeAudio(ogg, 'a.ogg'), 'unsupported-codec', 'a.ogg');
    const aiff = new TextEncoder().encode('FORM\0\0\0\x20AIFFCOMM' + '\0'.repeat(40));
    await expectAudioError(decodeAudio(aiff, 'a.aiff'), 'unsupported-codec', 'a.aiff');
    const mp3 = new Uint8Array(64);
    mp3.set([0xff, 0xfb, 0x90, 0x64]);
    await expectAudioError(decodeAudio(mp3, 'a.mp3'), 'unsupported-codec', 'a.mp3');
  });

  it('empty files and files with no samples', async () => {
    await expectAudioError(decodeAudio(new Uint8Array(0), 'zero.wav'), 'empty', 'zero.wav');
    await expectAudioError(decodeAudio(wavBytes('16', [[]]), 'nosamples.wav'), 'empty', 'nosamples.wav');
  });

  it('NaN and infinite samples (checkAudio)', async () => {
    const a = await decodeAudio(wavBytes('32f', [[0.1, Number.NaN, 0.2]]), 'nan.wav');
    await expectAudioError(() => checkAudio(a, 'nan.wav'), 'nan', 'nan.wav');
    const b = await decodeAudio(wavBytes('64', [[0.1, 0.2, Number.POSITIVE_INFINITY]]), 'inf.wav');
    await expectAudioError(() => checkAudio(b, 'inf.wav'), 'nan', 'inf.wav');
  });

  it('silent audio (checkAudio), with a configurable threshold', async () => {
    const a = await decodeAudio(wavBytes('16', [new Array(800).fill(0)]), 'silence.wav');
    await expectAudioError(() => checkAudio(a, 'silence.wav'), 'silent', 'silence.wav');
    const quiet = { sampleRate: 16000, channels: [new Float32Array(100).fill(1e-3)] };
    expect(() => checkAudio(quiet, 'quiet.wav')).not.toThrow();
    await expectAudioError(() => checkAudio(quiet, 'quiet.wav', { silenceDbfs: -50 }), 'silent', 'quiet.wav');
  });

  it('a missing file is a UserError with the bad-input exit code', async () => {
    await expect(readAudioFile(join(AUDIO, 'does-not-exist.wav'))).rejects.toMatchObject({ exitCode: EXIT.badInput });
  });
});
