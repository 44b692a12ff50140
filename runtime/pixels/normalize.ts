/**
 * uint8 RGB (HWC) → normalised float32 CHW, with the reference processor's exact float32 rounding:
 * transformers rescales in float64 (`v * (1/255)`) and casts to float32, then normalises in float32
 * (`(x - mean) / std` with float32 mean and std). Each of those steps is reproduced with Math.fround
 * (rounding a double result of float32 operands to float32 is the correctly rounded float32 result),
 * and because there are only 256 inputs per channel the whole thing is a lookup table.
 */

/** Florence-2's preprocessor_config: ImageNet mean and std. */
export const IMAGE_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGE_STD = [0.229, 0.224, 0.225] as const;
export const RESCALE_FACTOR = 1 / 255;

export interface NormalizeParams {
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  rescaleFactor?: number;
}

/** Per-channel lookup tables: lut[c * 256 + v] = normalised value of byte v in channel c. */
export function normalizationLut(p: NormalizeParams = {}): Float32Array {
  const mean = p.mean ?? IMAGE_MEAN;
  const std = p.std ?? IMAGE_STD;
  const factor = p.rescaleFactor ?? RESCALE_FACTOR;
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(v * factor);
      lut[c * 256 + v] = Math.fround(Math.fround(x - m) / s);
    }
  }
  return lut;
}

const DEFAULT_LUT = normalizationLut();

/** Packed RGB (HWC, uint8) → float32 CHW, rescaled and normalised. */
export function normalizeToChw(
  rgb: Uint8Array,
  width: number,
  height: number,
  p?: NormalizeParams,
): Float32Array {
  const plane = width * height;
  if (rgb.length !== plane * 3) throw new RangeError(`expected ${plane * 3} bytes of RGB, got ${rgb.length}`);
  const lut = p === undefined ? DEFAULT_LUT : normalizationLut(p);
  const out = new Float32Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = lut[rgb[j]!]!;
    out[plane + i] = lut[256 + rgb[j + 1]!]!;
    out[2 * plane + i] = lut[512 + rgb[j + 2]!]!;
  }
  return out;
}
