import type { ImageSize } from "../prompt/image-size";
import { dequantizeBin } from "../prompt/loc-bins";
import type { Box } from "./types";

/** Four bins (x1, y1, x2, y2) → pixels, as BoxQuantizer.dequantize. */
export function dequantizeBox(bins: readonly number[], size: ImageSize): Box {
  return [
    dequantizeBin(bins[0] ?? 0, size.width),
    dequantizeBin(bins[1] ?? 0, size.height),
    dequantizeBin(bins[2] ?? 0, size.width),
    dequantizeBin(bins[3] ?? 0, size.height),
  ];
}

/**
 * Interleaved bins (x, y, x, y, …) → pixels, as CoordinatesQuantizer.dequantize on an (N, 2) array.
 * Callers pass an even count (the reference drops an unpaired last value before reshaping).
 */
export function dequantizePoints(bins: readonly number[], size: ImageSize): number[] {
  return bins.map((b, i) => dequantizeBin(b, i % 2 === 0 ? size.width : size.height));
}
