/**
 * EXIF orientation (tag 0x0112 of IFD0), read the way PIL's `ImageOps.exif_transpose` finds it:
 * from a JPEG APP1 "Exif" segment, a PNG eXIf chunk or a WebP EXIF chunk. GIF and BMP carry none.
 *
 * A tiny parser rather than exifr: exifr's lite bundle reads only JPEG and HEIC, is async, and we need
 * one tag; this also stays synchronous and cannot throw on hostile bytes (every read is bounds-checked
 * and any inconsistency simply means "no orientation").
 */
import type { ImageFormat } from "./format";
import { forEachJpegSegment } from "./jpeg-segments";

/** 1 = as stored; 2..8 = the EXIF orientations (mirror and/or rotation). */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"

function hasExifHeader(b: Uint8Array, at: number, end: number): boolean {
  if (end - at < 6) return false;
  for (let i = 0; i < 6; i++) if (b[at + i] !== EXIF_HEADER[i]) return false;
  return true;
}

/** The TIFF structure (starting at "II*\0" or "MM\0*") inside the container, or null. */
export function findExifTiff(bytes: Uint8Array, format: ImageFormat): Uint8Array | null {
  switch (format) {
    case "jpeg":
      return jpegExif(bytes);
    case "png":
      return pngExif(bytes);
    case "webp":
      return webpExif(bytes);
    case "gif":
    case "bmp":
      return null;
  }
}

function jpegExif(b: Uint8Array): Uint8Array | null {
  let tiff = null as Uint8Array | null;
  try {
    forEachJpegSegment(b, (marker, start, length) => {
      if (marker === 0xe1 && hasExifHeader(b, start, start + length)) {
        tiff = b.subarray(start + 6, start + length);
        return false; // the first Exif APP1 wins
      }
      return true;
    });
  } catch {
    // A broken segment chain after (or before) the EXIF block is the decoder's problem, not ours.
  }
  return tiff;
}

function pngExif(b: Uint8Array): Uint8Array | null {
  let i = 8;
  while (i + 12 <= b.length) {
    const len = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    const type = String.fromCharCode(b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    const start = i + 8;
    if (start + len > b.length) return null;
    if (type === "eXIf") {
      // Some writers keep the JPEG-style "Exif\0\0" prefix; PIL tolerates it, so do we.
      return hasExifHeader(b, start, start + len)
        ? b.subarray(start + 6, start + len)
        : b.subarray(start, start + len);
    }
    if (type === "IEND") return null;
    i = start + len + 4; // + CRC
  }
  return null;
}

function webpExif(b: Uint8Array): Uint8Array | null {
  let i = 12;
  while (i + 8 <= b.length) {
    const type = String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
    const len = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
    const start = i + 8;
    if (start + len > b.length) return null;
    if (type === "EXIF") {
      return hasExifHeader(b, start, start + len)
        ? b.subarray(start + 6, start + len)
        : b.subarray(start, start + len);
    }
    i = start + len + (len & 1); // chunks are padded to an even size
  }
  return null;
}

/** Orientation tag from a TIFF block; 1 when absent, malformed or out of range. */
export function orientationFromTiff(t: Uint8Array): Orientation {
  if (t.length < 8) return 1;
  const little = t[0] === 0x49 && t[1] === 0x49;
  const big = t[0] === 0x4d && t[1] === 0x4d;
  if (!little && !big) return 1;
  const u16 = (i: number): number => (little ? t[i]! | (t[i + 1]! << 8) : (t[i]! << 8) | t[i + 1]!);
  const u32 = (i: number): number =>
    (little
      ? t[i]! | (t[i + 1]! << 8) | (t[i + 2]! << 16) | (t[i + 3]! << 24)
      : (t[i]! << 24) | (t[i + 1]! << 16) | (t[i + 2]! << 8) | t[i + 3]!) >>> 0;
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const count = u16(ifd);
  for (let e = 0; e < count; e++) {
    const at = ifd + 2 + e * 12;
    if (at + 12 > t.length) return 1;
    if (u16(at) !== 0x0112) continue;
    const type = u16(at + 2);
    // SHORT is what the standard says; tolerate LONG as PIL does (it reads whatever type is declared).
    const value = type === 3 ? u16(at + 8) : type === 4 ? u32(at + 8) : 0;
    return value >= 1 && value <= 8 ? (value as Orientation) : 1;
  }
  return 1;
}

/** EXIF orientation of an image file (1 if it has none). Never throws. */
export function readOrientation(bytes: Uint8Array, format: ImageFormat): Orientation {
  const tiff = findExifTiff(bytes, format);
  return tiff === null ? 1 : orientationFromTiff(tiff);
}
