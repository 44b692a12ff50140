/**
 * Width and height as the file header declares them, read without decoding, so that a decompression
 * bomb (a few KB claiming 100k × 100k pixels) is refused before the decoder allocates anything.
 * Every read is bounds-checked: truncated or garbage headers become `undecodable_image`.
 */
import { ImageDecodeError } from "./errors";
import type { ImageFormat } from "./format";
import { forEachJpegSegment } from "./jpeg-segments";

export interface HeaderInfo {
  width: number;
  height: number;
  /** PNG only: bits per sample and colour type from IHDR (the 16-bit case converts differently in PIL). */
  pngBitDepth?: number;
  pngColorType?: number;
}

const u16be = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u32be = (b: Uint8Array, i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const u32le = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const i32le = (b: Uint8Array, i: number): number =>
  b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

function truncated(format: ImageFormat, what: string): never {
  throw new ImageDecodeError("undecodable_image", `${format}: ${what}`);
}

function need(bytes: Uint8Array, length: number, format: ImageFormat): void {
  if (bytes.length < length) truncated(format, "header is truncated");
}

function png(b: Uint8Array): HeaderInfo {
  need(b, 26, "png");
  // IHDR must be the first chunk: length 13, then "IHDR".
  if (u32be(b, 8) !== 13 || u32be(b, 12) !== 0x49484452) truncated("png", "first chunk is not IHDR");
  return { width: u32be(b, 16), height: u32be(b, 20), pngBitDepth: b[24]!, pngColorType: b[25]! };
}

// SOFn markers carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but are not frames.
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Uint8Array): HeaderInfo {
  let found = null as HeaderInfo | null;
  forEachJpegSegment(b, (marker, start, length) => {
    if (!isSof(marker)) return true;
    // payload: precision (1), height (2), width (2)
    if (length < 5) truncated("jpeg", "SOF segment too short");
    found = { width: u16be(b, start + 3), height: u16be(b, start + 1) };
    return false;
  });
  if (found === null) truncated("jpeg", "no frame header (SOFn) before the scan data");
  return found;
}

function gif(b: Uint8Array): HeaderInfo {
  need(b, 13, "gif");
  // Logical screen descriptor: PIL's image size is the screen size, not the first frame's rectangle.
  return { width: u16le(b, 6), height: u16le(b, 8) };
}

function webp(b: Uint8Array): HeaderInfo {
  need(b, 30, "webp");
  const fourcc = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (fourcc === "VP8 ") {
    // Key-frame header: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) truncated("webp", "bad VP8 start code");
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (fourcc === "VP8L") {
    if (b[20] !== 0x2f) truncated("webp", "bad VP8L signature");
    const bits = u32le(b, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (fourcc === "VP8X") {
    const w = (b[24]! | (b[25]! << 8) | (b[26]! << 16)) + 1;
    const h = (b[27]! | (b[28]! << 8) | (b[29]! << 16)) + 1;
    return { width: w, height: h };
  }
  return truncated("webp", `unknown first chunk ${JSON.stringify(fourcc)}`);
}

function bmp(b: Uint8Array): HeaderInfo {
  need(b, 26, "bmp");
  const dibSize = u32le(b, 14);
  if (dibSize === 12) return { width: u16le(b, 18), height: u16le(b, 20) }; // OS/2 BITMAPCOREHEADER
  if (dibSize < 16) truncated("bmp", `bad DIB header size ${dibSize}`);
  // Negative height means a top-down bitmap; the size is its magnitude.
  return { width: i32le(b, 18), height: Math.abs(i32le(b, 22)) };
}

/** Declared size of an image whose format was already sniffed. Throws `undecodable_image` on a bad header. */
export function readHeader(bytes: Uint8Array, format: ImageFormat): HeaderInfo {
  switch (format) {
    case "png":
      return png(bytes);
    case "jpeg":
      return jpeg(bytes);
    case "gif":
      return gif(bytes);
    case "webp":
      return webp(bytes);
    case "bmp":
      return bmp(bytes);
  }
}
