/**
 * The location grid: each image axis is cut into 1000 bins and a `<loc_N>` token names a bin.
 *
 * The reference (BoxQuantizer / CoordinatesQuantizer, mode 'floor') does this arithmetic on torch tensors:
 * bin numbers are int64, pixel boxes float32, and the bin width `size / 1000` is a Python double that torch
 * applies as a float32 scalar. Every intermediate is therefore rounded to float32, and that is visible: the
 * model card's `34.23999786376953` is float32(53.5 × float32(0.64)), and 27 px on a 1080 px axis falls in
 * bin 24, not 25, because 27 / float32(1.08) = 24.999998 in float32. `Math.fround` reproduces each rounding.
 */
export const LOC_BINS = 1000;

const f32 = Math.fround;

function binWidth(size: number): number {
  return f32(size / LOC_BINS);
}

/** Bin → pixel coordinate at the bin's centre: float32((b + 0.5) × size / 1000). */
export function dequantizeBin(bin: number, size: number): number {
  return f32(f32(f32(bin) + 0.5) * binWidth(size));
}

/** Pixel coordinate → bin: floor(coord / (size / 1000)) in float32, clamped to 0..999. */
export function quantizeCoordinate(coord: number, size: number): number {
  const bin = Math.floor(f32(f32(coord) / binWidth(size)));
  return Math.min(LOC_BINS - 1, Math.max(0, bin));
}
