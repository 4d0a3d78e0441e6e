/**
 * The compressed variants an ablation compares, as data: what to apply to a trained fp32 model,
 * and the name its CSV rows carry. Names are short and regular so that a CSV filters well:
 *
 *   fp32                         the trained model
 *   fold-bn                      BatchNormalization folded into the convolutions
 *   fp16, fp16-io16              float16 weights and compute; float32 or float16 I/O
 *   dynamic                      int8 weights, activations quantized at run time
 *   qdq-u8s8-pc-entropy          static, QDQ format, uint8 activations, int8 weights, per-channel, entropy calibration
 *   qop-s8s8-pt-minmax           static, QOperator format, int8 activations, per-tensor weights, min-max calibration
 *   full-int-u8s8-pc-entropy     static with int8/uint8 graph input and output (seed 001's "full int")
 *   full-int-naive               ... with the input scale not calibrated (seed 001's collapse)
 *   magnitude-global-0.5         unstructured, 50% of weights zeroed by one global threshold
 *   channels-l1-0.5-ft5          structured, 50% of channels removed by filter L1 norm, fine-tuned 5 epochs
 */
import { UserError } from '../errors.ts';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../train/calibrate.ts';

export type ActivationType = 'uint8' | 'int8';

export interface StaticQuant {
  kind: 'static';
  format: 'qdq' | 'qoperator';
  activations: ActivationType;
  perChannel: boolean;
  calibration: CalibrationMethod;
  /** int8/uint8 graph input and output. */
  fullInt: boolean;
  /** With fullInt: leave the input's scale uncalibrated (the naive mode that collapses). */
  naiveInput: boolean;
}

export type VariantSpec =
  | { kind: 'fp32' }
  | { kind: 'fold-bn' }
  | { kind: 'fp16'; keepIo: boolean }
  | { kind: 'dynamic' }
  | StaticQuant
  | { kind: 'magnitude'; scope: 'global' | 'layer'; ratio: number }
  | { kind: 'channels'; criterion: 'l1' | 'bn-gamma'; ratio: number; fineTuneEpochs: number };

const ratioName = (r: number) => String(Number(r.toFixed(3)));

export function variantName(v: VariantSpec): string {
  switch (v.kind) {
    case 'fp32':
    case 'fold-bn':
    case 'dynamic':
      return v.kind;
    case 'fp16':
      return v.keepIo ? 'fp16' : 'fp16-io16';
    case 'static': {
      const types = `${v.activations === 'uint8' ? 'u8' : 's8'}s8`;
      if (v.fullInt && v.naiveInput) return `full-int-naive-${types}`;
      const head = v.fullInt ? 'full-int' : v.format === 'qdq' ? 'qdq' : 'qop';
      return `${head}-${types}-${v.perChannel ? 'pc' : 'pt'}-${v.calibration}`;
    }
    case 'magnitude':
      return `magnitude-${v.scope}-${ratioName(v.ratio)}`;
    case 'channels':
      return `channels-${v.criterion}-${ratioName(v.ratio)}${v.fineTuneEpochs > 0 ? `-ft${v.fineTuneEpochs}` : ''}`;
  }
}

/** The CSV's quant_mode for a variant. */
export function quantMode(v: VariantSpec): string {
  switch (v.kind) {
    case 'fp16':
      return v.keepIo ? 'fp16' : 'fp16-io16';
    case 'dynamic':
      return 'dynamic';
    case 'static':
      return v.fullInt ? 'full-int' : `static-${v.format}`;
    default:
      return 'none';
  }
}

export function checkRatio(r: number, what: string): number {
  if (!(r > 0 && r < 1)) throw new UserError(`${what} must be in (0, 1), got ${r}`);
  return r;
}

export function parseCalibration(name: string): CalibrationMethod {
  if (!(CALIBRATION_METHODS as readonly string[]).includes(name)) throw new UserError(`unknown calibration '${name}'; choose from: ${CALIBRATION_METHODS.join(', ')}`);
  return name as CalibrationMethod;
}

export const staticQuant = (o: Partial<StaticQuant> & Pick<StaticQuant, 'calibration'>): StaticQuant => ({
  kind: 'static',
  format: 'qdq',
  activations: 'uint8',
  perChannel: true,
  fullInt: false,
  naiveInput: false,
  ...o,
});
