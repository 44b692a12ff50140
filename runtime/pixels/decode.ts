/**
 * Bytes → decoded RGBA pixels: sniff the format from magic bytes, check the declared size against the
 * limits before anything is allocated, decode with photon, read the EXIF orientation.
 */
import { ImageDecodeError } from "./errors";
import { readOrientation, type Orientation } from "./exif-orientation";
import { sniffFormat, type ImageFormat } from "./format";
import { declaredFrameSizes, type DeclaredSize } from "./frame-sizes";
import { fillOutsideGifFrame, gifFirstFrame } from "./gif-first-frame";
import { readHeader } from "./header";
import { photonDecodeRgba } from "./photon";

export interface DecodeLimits {
  /** Smallest allowed width and height, in pixels (default 16). */
  minSide?: number;
  /** Largest allowed width and height, in pixels (default 16000). */
  maxSide?: number;
  /**
   * Largest allowed width × height (default 40 MP). photon grows its WASM memory by ~13.3 bytes per
   * pixel while decoding (measured: 127 MiB for 10 MP, 152 MiB for 12 MP) and we hold 4 more in JS, so a
   * 128 MB Worker that does nothing else tops out near 7 MP; the Worker should pass a lower cap.
   */
  maxPixels?: number;
}

export const DEFAULT_LIMITS: Required<DecodeLimits> = { minSide: 16, maxSide: 16000, maxPixels: 40_000_000 };

export interface DecodedImage {
  format: ImageFormat;
  /** As stored in the file, before any EXIF orientation is applied. */
  width: number;
  height: number;
  /** Packed RGBA, width × height × 4 (grey, palette and 16-bit sources already expanded to 8-bit RGBA). */
  rgba: Uint8Array;
  /** EXIF orientation found in the file (1 if none); not applied to `rgba`. */
  orientation: Orientation;
}

export function checkDimensions(width: number, height: number, limits: DecodeLimits = {}): void {
  const { minSide, maxSide, maxPixels } = { ...DEFAULT_LIMITS, ...limits };
  if (width < minSide || height < minSide || width > maxSide || height > maxSide) {
    throw new ImageDecodeError(
      "image_dimensions_out_of_range",
      `image is ${width}x${height}; each side must be between ${minSide} and ${maxSide} pixels`,
    );
  }
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      "image_dimensions_out_of_range",
      `image is ${width}x${height} = ${width * height} pixels; at most ${maxPixels} are accepted`,
    );
  }
}

/** A size declared inside the container (frame, bitstream) against the upper limits only: frames may be small. */
function checkDeclaredSize(s: DeclaredSize, limits: DecodeLimits): void {
  const { maxSide, maxPixels } = { ...DEFAULT_LIMITS, ...limits };
  if (s.width > maxSide || s.height > maxSide || s.width * s.height > maxPixels) {
    throw new ImageDecodeError(
      "image_dimensions_out_of_range",
      `the ${s.what} declares ${s.width}x${s.height}; at most ${maxSide} pixels per side and ${maxPixels} pixels are accepted`,
    );
  }
}

/** Format and declared size, without decoding. Throws ImageDecodeError. */
export function probeImage(bytes: Uint8Array): { format: ImageFormat; width: number; height: number } {
  const format = sniffFormat(bytes);
  if (format === null) {
    throw new ImageDecodeError("unsupported_media_type", "not a PNG, JPEG, GIF, WebP or BMP image");
  }
  const { width, height } = readHeader(bytes, format);
  return { format, width, height };
}

/** Decode an image file (PNG, JPEG, GIF first frame, WebP, BMP). Throws only ImageDecodeError for bad input. */
export function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): DecodedImage {
  const { format, width, height } = probeImage(bytes);
  checkDimensions(width, height, limits);
  // photon allocates by the sizes inside the container too (a GIF's first frame, WebP bitstreams), which
  // may be far larger than the canvas the header declares: same upper limits, before decoding.
  for (const declared of declaredFrameSizes(bytes, format)) checkDeclaredSize(declared, limits);
  const img = photonDecodeRgba(bytes);
  // The decoder's size is what the pixels are; re-check in case it disagrees with the header.
  checkDimensions(img.width, img.height, limits);
  if (format === "gif") {
    const frame = gifFirstFrame(bytes);
    if (frame !== null) fillOutsideGifFrame(img.rgba, img.width, img.height, frame);
  }
  return {
    format,
    width: img.width,
    height: img.height,
    rgba: img.rgba,
    orientation: readOrientation(bytes, format),
  };
}
