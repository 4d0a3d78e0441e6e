/**
 * What a zoo entry is: an architecture from a seed paper as a function of input shape and class count.
 */
import type { Graph } from '../ir.ts';

export interface ModelInput {
  /** Feature channels: 1 for mono log-mel, 2 binaural, 3 with deltas, 6 binaural with deltas. */
  channels: number;
  mels: number;
  frames: number;
}

export interface BuildOptions extends ModelInput {
  classes: number;
  /** Seed of the deterministic weight initialisation. */
  seed?: number;
  /** false: every parameter is zeros, no random draws (shapes and counts only: `melbench models`). */
  initialise?: boolean;
}

export interface ZooEntry {
  name: string;
  /** The architecture family, one file per family. */
  family: string;
  /** Where it comes from, e.g. 'seed 000 (Lim & Kwak 2021), Fig. 3(e)'. */
  source: string;
  description: string;
  /** The features preset it is built for by default (src/features/presets.ts). */
  preset: string;
  /**
   * True when the model ends in global pooling, so its ONNX input keeps frames symbolic ('T')
   * and any clip length runs; false when a Flatten fixes the frame count.
   */
  anyLength: boolean;
  build(o: BuildOptions): Graph;
}
