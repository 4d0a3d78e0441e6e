/**
 * Decoding WAV and FLAC bytes to float audio, with one clear error per kind of bad file.
 *
 * The container is found from magic bytes, never from the file name:
 *   "RIFF"/"RIFX"/"RF64" ... "WAVE" -> WAV (wavefile);  "fLaC" (optionally after an ID3v2 tag) -> FLAC
 *   (@wasm-audio-decoders/flac, libFLAC); "OggS", "ID3"/MPEG sync, "FORM", "ftyp" ... -> unsupported codec.
 * Sample scaling (as soundfile / torchaudio.load(normalize=True)):
 *   signed PCM of b bits: x = v / 2^(b-1);  8-bit unsigned PCM: x = (v - 128) / 128;  float: x = v;
 *   A-law / mu-law / IMA-ADPCM are expanded to 16-bit PCM first (wavefile).
 * Truncation: a WAV whose data chunk declares more bytes than the file holds, or a FLAC that
 * decodes to fewer samples than its STREAMINFO total.
 * Limits (LIMITS), read from the header before any sample is allocated: 1 to 64 channels, 1000 to
 * 768000 Hz, at most 2^27 samples over all channels. A WAV header declaring 65,535 channels once
 * took 206 s and 8.4 GB before failing; now it is refused at once.
 */
import { readFile } from 'node:fs/promises';
import type { FLACDecoder } from '@wasm-audio-decoders/flac';
import { EXIT, UserError } from '../errors.ts';
import type { Audio } from './types.ts';

export type AudioErrorKind = 'corrupt' | 'truncated' | 'unsupported-codec' | 'empty' | 'silent' | 'nan' | 'limits';

/** What a file may declare; anything beyond is refused from its header, before decoding. */
export const LIMITS = {
  maxChannels: 64,
  minSampleRate: 1000,
  maxSampleRate: 768_000,
  /** Over all channels: 2^27 float32 samples is 512 MiB (e.g. 2.3 h of 16 kHz mono). */
  maxSamples: 2 ** 27,
} as const;

const ADVICE: Record<AudioErrorKind, string> = {
  corrupt: 're-export or re-download it, or skip bad files with --on-bad-file skip',
  truncated: 're-export or re-download the complete file, or skip bad files with --on-bad-file skip',
  'unsupported-codec': 'convert it to WAV or FLAC (e.g. `ffmpeg -i in.xxx out.wav`)',
  empty: 'remove it from the dataset, or skip bad files with --on-bad-file skip',
  silent: 'check the recording (it carries no signal), or skip bad files with --on-bad-file skip',
  nan: 're-export it from its source (it contains NaN or infinite samples), or skip bad files with --on-bad-file skip',
  limits: 'resample, downmix or split it (e.g. `ffmpeg -i in.wav -ac 1 -ar 16000 out.wav`), or skip bad files with --on-bad-file skip',
};

/** Refuses a header whose channel count, rate or length is beyond LIMITS; `samples` is per channel, or null when unknown. */
function checkLimits(name: string, channels: number, sampleRate: number, samples: number | null): void {
  if (!(channels >= 1 && channels <= LIMITS.maxChannels)) {
    throw new AudioError(name, 'limits', `its header declares ${channels} channels; the limit is 1 to ${LIMITS.maxChannels}`);
  }
  if (!(sampleRate >= LIMITS.minSampleRate && sampleRate <= LIMITS.maxSampleRate)) {
    throw new AudioError(name, 'limits', `its header declares a sample rate of ${sampleRate} Hz; supported rates are ${LIMITS.minSampleRate} to ${LIMITS.maxSampleRate} Hz`);
  }
  if (samples !== null && channels * samples > LIMITS.maxSamples) {
    throw new AudioError(
      name,
      'limits',
      `its header declares ${samples} samples x ${channels} channels (${((samples / sampleRate) / 60).toFixed(1)} min); the limit is ${LIMITS.maxSamples} samples over all channels`,
    );
  }
}

/** A bad audio file: one line naming the file, the problem and what to do. */
export class AudioError extends UserError {
  constructor(
    readonly file: string,
    readonly kind: AudioErrorKind,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}; ${ADVICE[kind]}`, EXIT.badInput);
    this.name = 'AudioError';
  }
}

type Container = 'wav' | 'flac' | { unsupported: string } | null;

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < at + n && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Skips an ID3v2 tag (10-byte header + syncsafe size) if there is one. */
function afterId3(b: Uint8Array): number {
  if (b.length < 10 || ascii(b, 0, 3) !== 'ID3') return 0;
  const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
  return 10 + size + (b[5] & 0x10 ? 10 : 0);
}

export function sniffContainer(b: Uint8Array): Container {
  const head = ascii(b, 0, 4);
  if ((head === 'RIFF' || head === 'RIFX' || head === 'RF64') && ascii(b, 8, 4) === 'WAVE') return 'wav';
  if (head === 'fLaC') return 'flac';
  const id3 = afterId3(b);
  if (id3 > 0) return ascii(b, id3, 4) === 'fLaC' ? 'flac' : { unsupported: 'MP3 (ID3-tagged)' };
  if (head === 'OggS') return { unsupported: 'Ogg (Vorbis/Opus/Ogg-FLAC)' };
  if (head === 'FORM' && (ascii(b, 8, 4) === 'AIFF' || ascii(b, 8, 4) === 'AIFC')) return { unsupported: 'AIFF' };
  if (ascii(b, 4, 4) === 'ftyp') return { unsupported: 'MP4/M4A' };
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return { unsupported: 'MPEG audio (MP3)' };
  if (head === 'caff') return { unsupported: 'CAF' };
  return null;
}

interface WavFmt {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

interface WavChunks {
  fmt: WavFmt | null;
  dataDeclared: number;
  dataAvailable: number;
}

/** Walks the RIFF chunk list to compare the declared data size with the bytes present. */
function wavChunks(b: Uint8Array): WavChunks {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = ascii(b, 0, 4) !== 'RIFX';
  let fmt: WavFmt | null = null;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = ascii(b, at, 4);
    const size = view.getUint32(at + 4, little);
    // WAVEFORMATEX: format tag u16, channels u16, sample rate u32, byte rate u32, block align u16, bits u16.
    if (id === 'fmt ') {
      fmt =
        at + 24 <= b.length
          ? { channels: view.getUint16(at + 10, little), sampleRate: view.getUint32(at + 12, little), bitsPerSample: view.getUint16(at + 22, little) }
          : { channels: 0, sampleRate: 0, bitsPerSample: 0 };
    }
    if (id === 'data') return { fmt, dataDeclared: size, dataAvailable: b.length - (at + 8) };
    at += 8 + size + (size & 1);
  }
  return { fmt, dataDeclared: -1, dataAvailable: 0 };
}

// NOTE: the decoders are imported on first use: loading them costs every other command ~0.1 s of start-up.
async function decodeWav(b: Uint8Array, name: string): Promise<Audio> {
  const { default: wavefile } = await import('wavefile');
  if (ascii(b, 0, 4) === 'RF64') throw new AudioError(name, 'unsupported-codec', 'RF64 (64-bit WAV) is not supported');
  const chunks = wavChunks(b);
  if (chunks.dataDeclared < 0) {
    throw new AudioError(name, chunks.fmt ? 'truncated' : 'corrupt', chunks.fmt ? 'WAV file ends before its data chunk' : 'WAV file has no fmt/data chunks');
  }
  if (!chunks.fmt) throw new AudioError(name, 'corrupt', 'WAV file has no fmt chunk');
  if (chunks.dataDeclared > chunks.dataAvailable) {
    throw new AudioError(
      name,
      'truncated',
      `truncated WAV: the data chunk declares ${chunks.dataDeclared} bytes but only ${chunks.dataAvailable} are present`,
    );
  }
  // NOTE: before wavefile parses anything: it allocates per channel and per sample.
  const declared = chunks.fmt;
  // Samples per channel the data chunk holds (ADPCM and companded samples expand to 16-bit ones after this check).
  const perChannel = declared.bitsPerSample >= 1 && declared.channels >= 1 ? Math.floor((chunks.dataDeclared * 8) / declared.bitsPerSample / declared.channels) : null;
  checkLimits(name, declared.channels, declared.sampleRate, perChannel);
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(b);
  } catch (e) {
    throw new AudioError(name, 'corrupt', `unreadable WAV (${(e as Error).message})`);
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number };
  let depth = (wav as unknown as { bitDepth: string }).bitDepth;
  try {
    if (depth === '8a') wav.fromALaw('16');
    else if (depth === '8m') wav.fromMuLaw('16');
    else if (depth === '4') wav.fromIMAADPCM('16');
  } catch (e) {
    throw new AudioError(name, 'corrupt', `cannot expand ${depth === '4' ? 'IMA-ADPCM' : 'companded'} WAV (${(e as Error).message})`);
  }
  depth = (wav as unknown as { bitDepth: string }).bitDepth;
  const float = depth === '32f' || depth === '64';
  const bits = Number.parseInt(depth, 10);
  const known = float || (Number.isInteger(bits) && bits >= 8 && bits <= 32);
  if (!known || fmt.numChannels < 1 || !(fmt.sampleRate > 0)) {
    throw new AudioError(
      name,
      'unsupported-codec',
      `unsupported WAV encoding (format tag ${fmt.audioFormat}, ${fmt.bitsPerSample} bits, ${fmt.numChannels} channels, ${fmt.sampleRate} Hz)`,
    );
  }
  let raw: Float64Array[];
  try {
    const s = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
    raw = fmt.numChannels === 1 && !Array.isArray(s) ? [s as Float64Array] : (s as Float64Array[]);
  } catch (e) {
    throw new AudioError(name, 'corrupt', `unreadable WAV samples (${(e as Error).message})`);
  }
  // NOTE: 8-bit WAV is unsigned with 128 as zero; wider PCM is signed two's complement.
  const offset = !float && bits === 8 ? 128 : 0;
  const scale = float ? 1 : bits === 8 ? 1 / 128 : 1 / 2 ** (bits - 1);
  const channels = raw.map((ch) => {
    const out = new Float32Array(ch.length);
    for (let i = 0; i < ch.length; i++) out[i] = (ch[i] - offset) * scale;
    return out;
  });
  if (channels[0].length === 0) throw new AudioError(name, 'empty', 'WAV file has no samples');
  return { sampleRate: fmt.sampleRate, channels };
}

/** Total samples per channel from STREAMINFO (36 bits at bit 108 of its body), or 0 when unknown. */
function flacTotalSamples(b: Uint8Array, start: number): number {
  const s = start + 8;
  if (b.length < s + 18) return 0;
  return (b[s + 13] & 0x0f) * 2 ** 32 + ((b[s + 14] << 24) >>> 0) + (b[s + 15] << 16) + (b[s + 16] << 8) + b[s + 17];
}

let flacDecoder: FLACDecoder | null = null;
let flacQueue: Promise<unknown> = Promise.resolve();

async function decodeFlac(b: Uint8Array, name: string): Promise<Audio> {
  const start = ascii(b, 0, 4) === 'fLaC' ? 0 : afterId3(b);
  if (b.length < start + 42) throw new AudioError(name, 'truncated', 'FLAC file ends inside its STREAMINFO header');
  const total = flacTotalSamples(b, start);
  // STREAMINFO body bits 80..99: sample rate (20 bits), then channels - 1 (3 bits).
  const si = start + 8;
  const rate = (b[si + 10] << 12) | (b[si + 11] << 4) | (b[si + 12] >> 4);
  checkLimits(name, ((b[si + 12] >> 1) & 7) + 1, rate, total > 0 ? total : null);
  // NOTE: one decoder instance serves every call; calls are chained so two decodes never interleave.
  const run = flacQueue.then(async () => {
    if (!flacDecoder) {
      flacDecoder = new (await import('@wasm-audio-decoders/flac')).FLACDecoder();
      await flacDecoder.ready;
    } else {
      await flacDecoder.reset();
    }
    return flacDecoder.decodeFile(b);
  });
  flacQueue = run.catch(() => undefined);
  let r: Awaited<ReturnType<FLACDecoder['decodeFile']>>;
  try {
    r = await run;
  } catch (e) {
    flacDecoder = null;
    throw new AudioError(name, 'corrupt', `unreadable FLAC (${(e as Error).message})`);
  }
  const n = r.samplesDecoded;
  if (total > 0 && n < total) {
    // NOTE: the parser drops frames it cannot read (bad CRC) as well as a cut-off last frame, so missing
    // samples mean truncation or mid-file damage; truncation is by far the common case.
    throw new AudioError(name, 'truncated', `truncated or damaged FLAC: decoded ${n} of the ${total} samples its header declares`);
  }
  if (total === 0 && n === 0) throw new AudioError(name, 'corrupt', 'FLAC file has no decodable frames');
  if (r.errors.length > 0) {
    const first = r.errors[0] as { message?: string; error?: string };
    throw new AudioError(name, 'corrupt', `FLAC decode error (${first.message ?? first.error ?? 'frame error'}, ${r.errors.length} in all)`);
  }
  if (n === 0 || r.channelData.length === 0) throw new AudioError(name, 'empty', 'FLAC file has no samples');
  // NOTE: libFLAC's wasm wrapper scales by 1/(2^(b-1) - 1); rescale to 1/2^(b-1) so a FLAC decodes
  // to the same floats as its WAV source (and as soundfile/torchaudio). The copy also detaches the
  // result from the decoder's buffers.
  const k = r.bitDepth > 1 ? (2 ** (r.bitDepth - 1) - 1) / 2 ** (r.bitDepth - 1) : 1;
  const channels = r.channelData.map((c) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = c[i] * k;
    return out;
  });
  checkLimits(name, channels.length, r.sampleRate, n);
  return { sampleRate: r.sampleRate, channels };
}

/** Decodes WAV or FLAC bytes; `name` is used in error messages. Does not check for silence or NaN (see checkAudio). */
export async function decodeAudio(bytes: Uint8Array, name: string): Promise<Audio> {
  if (bytes.length === 0) throw new AudioError(name, 'empty', 'file is empty (0 bytes)');
  const kind = sniffContainer(bytes);
  if (kind === 'wav') return decodeWav(bytes, name);
  if (kind === 'flac') return decodeFlac(bytes, name);
  if (kind === null) {
    const what = bytes.length < 12 ? `too short (${bytes.length} bytes) to be audio` : 'not a WAV or FLAC file (unknown header)';
    throw new AudioError(name, 'corrupt', what);
  }
  throw new AudioError(name, 'unsupported-codec', `${kind.unsupported} is not supported (only WAV and FLAC are)`);
}

export async function readAudioFile(path: string): Promise<Audio> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new UserError(`${path}: cannot read audio file (${why})`, EXIT.badInput);
  }
  return decodeAudio(bytes, path);
}

export interface CheckOptions {
  /** A file whose peak is at or below this level (dBFS) is silent. Default -90 dBFS (about 1 LSB of 16-bit). */
  silenceDbfs?: number;
}

/** Throws AudioError for NaN/infinite samples, no samples, or silence. */
export function checkAudio(audio: Audio, name: string, opts: CheckOptions = {}): void {
  if (audio.channels.length === 0 || audio.channels[0].length === 0) throw new AudioError(name, 'empty', 'audio has no samples');
  let peak = 0;
  for (let c = 0; c < audio.channels.length; c++) {
    const x = audio.channels[c];
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isFinite(v)) {
        throw new AudioError(name, 'nan', `sample ${i} of channel ${c} is ${v} (at ${(i / audio.sampleRate).toFixed(3)} s)`);
      }
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
    }
  }
  const threshold = 10 ** ((opts.silenceDbfs ?? -90) / 20);
  if (peak <= threshold) {
    const db = peak === 0 ? '-inf' : (20 * Math.log10(peak)).toFixed(1);
    throw new AudioError(name, 'silent', `audio is silent (peak ${db} dBFS, threshold ${opts.silenceDbfs ?? -90} dBFS)`);
  }
}
