/**
 * Sliding-window geometry shared by Conv, ConvTranspose and the pools: kernel, strides, pads,
 * dilations with ONNX's defaults, and the output spatial dims.
 */
import { ShapeError } from '../../errors.ts';
import { windowOutDim } from '../dims.ts';
import type { Dim } from '../ir.ts';

export interface WindowAttrs {
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  auto_pad: string;
}

export interface Window {
  kernel: number[];
  strides: number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as in ONNX. */
  pads: number[];
  dilations: number[];
}

export function resolveWindow(kernel: number[], a: WindowAttrs, where: string): Window {
  const r = kernel.length;
  const strides = a.strides ?? Array(r).fill(1);
  const dilations = a.dilations ?? Array(r).fill(1);
  const pads = a.pads ?? Array(2 * r).fill(0);
  if (a.auto_pad !== 'NOTSET') {
    throw new ShapeError(`${where}: auto_pad='${a.auto_pad}' is not supported; give explicit pads`);
  }
  if (strides.length !== r || dilations.length !== r || pads.length !== 2 * r) {
    throw new ShapeError(`${where}: kernel of rank ${r} needs ${r} strides/dilations and ${2 * r} pads`);
  }
  if ([...kernel, ...strides, ...dilations].some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ShapeError(`${where}: kernel, strides and dilations must be positive integers`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new ShapeError(`${where}: pads must be non-negative integers`);
  return { kernel, strides, pads, dilations };
}

export function windowOutShape(spatial: Dim[], w: Window, ceilMode: boolean, where: string): Dim[] {
  const r = w.kernel.length;
  return spatial.map((d, i) =>
    windowOutDim(d, w.kernel[i], w.strides[i], w.pads[i] + w.pads[i + r], w.dilations[i], ceilMode, `${where} (spatial axis ${i})`),
  );
}
