/**
 * Bicubic resize with the exact integer semantics of Pillow's `Image.resize(size, resample=BICUBIC)`
 * for 8-bit images (libImaging/Resample.c, unchanged in this respect since Pillow 4), so that our
 * pixel_values equal the reference processor's bit for bit:
 *
 * - separable: a horizontal pass into an 8-bit temporary image, then a vertical pass; each pass
 *   rounds and clamps to 0..255 (so the order matters, and it is horizontal first);
 * - cubic convolution kernel with a = -0.5, support 2, stretched by the scale factor when
 *   downscaling (antialiasing), sampled at pixel centres;
 * - weights normalised to sum 1 in double precision, then converted to fixed point with 22
 *   fractional bits, rounding half away from zero;
 * - accumulation starts at 0.5 in fixed point; the result is shifted (floor) and clamped.
 * A pass whose size does not change is skipped, as Pillow does.
 *
 * Written from a reading of the algorithm, not copied. Sums are kept in int32 (Math.imul, `| 0`)
 * exactly as Pillow keeps them in a C int: with weights normalised to 1 in 2^22 units, no partial
 * sum of 8-bit values can leave the int32 range (the kernel's positive lobe sums to < 1.2).
 */
import { interleavedView, type PixelView } from "./pixel-view";
import { viewToRgb } from "./to-rgb";

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

/** Pillow's bicubic kernel, with its exact order of floating-point operations. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per-output-pixel source window and fixed-point weights for one axis. */
export interface AxisCoeffs {
  /** Weights per output pixel, `ksize` slots each (unused slots are 0). */
  readonly ksize: number;
  /** For output i: first source index at 2i, number of taps at 2i+1. */
  readonly bounds: Int32Array;
  readonly weights: Int32Array;
}

export function precomputeCoeffs(inSize: number, outSize: number): AxisCoeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      // (int)(±0.5 + w * 2^22): C truncates toward zero, so this rounds half away from zero.
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** Fixed-point accumulator → uint8: floor-shift, then clamp (Pillow's clip8). */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over rows [y0, y1) of the view; returns packed RGB, outW × (y1 - y0). */
function horizontal(src: PixelView, c: AxisCoeffs, outW: number, y0: number, y1: number): Uint8Array {
  const { data, offset, xStride, yStride } = src;
  const { ksize, bounds, weights } = c;
  const out = new Uint8Array(outW * (y1 - y0) * 3);
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const row = offset + y * yStride;
    for (let xx = 0; xx < outW; xx++) {
      const taps = bounds[xx * 2 + 1]!;
      const kBase = xx * ksize;
      let p = row + bounds[xx * 2]! * xStride;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0; i < taps; i++, p += xStride) {
        const w = weights[kBase + i]!;
        r = (r + Math.imul(data[p]!, w)) | 0;
        g = (g + Math.imul(data[p + 1]!, w)) | 0;
        b = (b + Math.imul(data[p + 2]!, w)) | 0;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return out;
}

/**
 * Vertical pass. `rowShift` is subtracted from the source row indices (the horizontal pass only
 * produced the rows the vertical window needs). Loops tap-outer over whole rows for cache locality;
 * integer sums do not depend on the order of addition, so this equals Pillow's per-pixel loop.
 */
function vertical(src: PixelView, c: AxisCoeffs, outH: number, rowShift: number): Uint8Array {
  const { data, width, offset, xStride, yStride } = src;
  const { ksize, bounds, weights } = c;
  const rowLen = width * 3;
  const out = new Uint8Array(rowLen * outH);
  const acc = new Int32Array(rowLen);
  for (let yy = 0; yy < outH; yy++) {
    acc.fill(HALF);
    const ymin = bounds[yy * 2]! - rowShift;
    const taps = bounds[yy * 2 + 1]!;
    for (let i = 0; i < taps; i++) {
      const w = weights[yy * ksize + i]!;
      let p = offset + (ymin + i) * yStride;
      for (let x = 0; x < rowLen; x += 3, p += xStride) {
        acc[x] = (acc[x]! + Math.imul(data[p]!, w)) | 0;
        acc[x + 1] = (acc[x + 1]! + Math.imul(data[p + 1]!, w)) | 0;
        acc[x + 2] = (acc[x + 2]! + Math.imul(data[p + 2]!, w)) | 0;
      }
    }
    const o = yy * rowLen;
    for (let x = 0; x < rowLen; x++) out[o + x] = clip8(acc[x]!);
  }
  return out;
}

/** Resize the view to outW × outH with Pillow's BICUBIC; returns packed RGB. */
export function resizeBicubicView(src: PixelView, outW: number, outH: number): Uint8Array {
  if (!(outW >= 1 && outH >= 1 && Number.isInteger(outW) && Number.isInteger(outH))) {
    throw new RangeError(`bad output size ${outW}x${outH}`);
  }
  if (src.width < 1 || src.height < 1) throw new RangeError("empty source image");
  const needH = outW !== src.width;
  const needV = outH !== src.height;
  const vc = precomputeCoeffs(src.height, outH);
  // Rows of the source the vertical window touches at all.
  const yFirst = vc.bounds[0]!;
  const yLast = vc.bounds[outH * 2 - 2]! + vc.bounds[outH * 2 - 1]!;
  let cur = src;
  let rowShift = 0;
  if (needH) {
    const temp = horizontal(src, precomputeCoeffs(src.width, outW), outW, yFirst, yLast);
    cur = interleavedView(temp, outW, yLast - yFirst, 3);
    rowShift = yFirst;
  }
  if (needV) return vertical(cur, vc, outH, rowShift);
  // No vertical pass: either the horizontal result (all rows, since yFirst = 0 and yLast = height
  // when the height is unchanged) or a plain copy.
  return needH ? cur.data : viewToRgb(src);
}

/** Resize packed RGB (width × height × 3) to outW × outH with Pillow's BICUBIC; returns packed RGB. */
export function resizeBicubic(
  rgb: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
): Uint8Array {
  return resizeBicubicView(interleavedView(rgb, width, height, 3), outW, outH);
}
