/** Shared shapes of the audio data path: decoded audio in, feature tensors out. */

/** Decoded audio: one Float32Array per channel, samples in [-1, 1]. */
export interface Audio {
  sampleRate: number;
  channels: Float32Array[];
}

/** A feature tensor for one clip: row-major `data` with shape `dims`, e.g. [channels, mels, frames]. */
export interface FeatureTensor {
  data: Float32Array;
  dims: number[];
}
