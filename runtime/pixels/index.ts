/**
 * Image bytes → Florence-2 `pixel_values` ([1, 3, 768, 768] float32, CHW), exactly as the reference
 * processor (PIL + transformers' CLIPImageProcessor) computes them: EXIF transpose, convert("RGB"),
 * resize to 768×768 ignoring aspect with PIL BICUBIC, rescale 1/255, ImageNet normalisation.
 *
 * photon's WASM module must be installed once per isolate/process first (see ./photon.ts).
 */
import { decodeImage, type DecodeLimits } from "./decode";
import type { Orientation } from "./exif-orientation";
import type { ImageFormat } from "./format";
import { normalizeToChw } from "./normalize";
import { interleavedView, orientView } from "./pixel-view";
import { resizeBicubicView } from "./resize-bicubic";

export { ImageDecodeError, isImageDecodeError, type ImageDecodeErrorCode } from "./errors";
export { sniffFormat, SUPPORTED_FORMATS, type ImageFormat } from "./format";
export { readHeader, type HeaderInfo } from "./header";
export { readOrientation, orientationFromTiff, findExifTiff, type Orientation } from "./exif-orientation";
export {
  decodeImage,
  probeImage,
  checkDimensions,
  DEFAULT_LIMITS,
  type DecodeLimits,
  type DecodedImage,
} from "./decode";
export { installPhoton, isPhotonReady, photonMemoryBytes } from "./photon";
export { interleavedView, orientView, type PixelView } from "./pixel-view";
export { viewToRgb, rgbaToRgb } from "./to-rgb";
export { resizeBicubic, resizeBicubicView, precomputeCoeffs } from "./resize-bicubic";
export { normalizeToChw, normalizationLut, IMAGE_MEAN, IMAGE_STD, RESCALE_FACTOR } from "./normalize";

/** Florence-2's processor size (base and large alike). */
export const FLORENCE2_IMAGE_SIZE = 768;

export interface PixelValuesOptions extends DecodeLimits {
  /** Rotate/mirror by the EXIF orientation first, as transformers' load_image does (default true). */
  applyExifOrientation?: boolean;
  /** Output side in pixels (default 768). */
  size?: number;
}

export interface PixelValues {
  pixelValues: Float32Array;
  dims: [1, 3, number, number];
  /** Image size after EXIF orientation: the frame that output coordinates refer to. */
  width: number;
  height: number;
  format: ImageFormat;
  /** The orientation that was applied (1 if none or if disabled). */
  orientation: Orientation;
}

export interface ResizedRgb {
  /** Packed RGB, size × size × 3: what PIL's resize returns, before rescaling and normalising. */
  rgb: Uint8Array;
  size: number;
  width: number;
  height: number;
  format: ImageFormat;
  orientation: Orientation;
}

/** Decode, orient and resize to size×size (uint8 RGB). Throws ImageDecodeError for bad input. */
export function imageToResizedRgb(bytes: Uint8Array, opts: PixelValuesOptions = {}): ResizedRgb {
  const size = opts.size ?? FLORENCE2_IMAGE_SIZE;
  const img = decodeImage(bytes, opts);
  const orientation = opts.applyExifOrientation === false ? 1 : img.orientation;
  // Resize straight from photon's RGBA through an oriented view: no RGB or rotated copy is made.
  const view = orientView(interleavedView(img.rgba, img.width, img.height, 4), orientation);
  const rgb = resizeBicubicView(view, size, size);
  return { rgb, size, width: view.width, height: view.height, format: img.format, orientation };
}

/** Decode, orient, resize to size×size and normalise. Throws ImageDecodeError for bad input. */
export async function imageToPixelValues(
  bytes: Uint8Array,
  opts: PixelValuesOptions = {},
): Promise<PixelValues> {
  const r = imageToResizedRgb(bytes, opts);
  return {
    pixelValues: normalizeToChw(r.rgb, r.size, r.size),
    dims: [1, 3, r.size, r.size],
    width: r.width,
    height: r.height,
    format: r.format,
    orientation: r.orientation,
  };
}
