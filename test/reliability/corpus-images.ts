// Hostile and valid images made by the tests (nothing downloaded): PNG/JPEG/WebP through photon's encoders,
// GIF by a minimal hand-written encoder (uncompressed LZW), and mutations of them (truncation, bit flips,
// headers that lie about the size).
import { crc32 } from "node:zlib";
import { PhotonImage } from "@cf-wasm/photon/node";
import { testPicture } from "../helpers/test-image";

export type EncodedFormat = "png" | "jpeg" | "webp" | "gif";

/** The shared test picture (test/helpers/test-image.ts) as RGBA, `shift` changing the red channel. */
function pictureRgba(width: number, height: number, shift: number): Uint8Array {
  const rgb = testPicture(width, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = (rgb[p * 3]! + shift) & 255;
    rgba[p * 4 + 1] = rgb[p * 3 + 1]!;
    rgba[p * 4 + 2] = rgb[p * 3 + 2]!;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** A valid image of the given format; `shift` varies the content (and so the hash). */
export function encodeImage(format: EncodedFormat, width: number, height: number, shift = 0): Uint8Array {
  if (format === "gif") return gifImage(width, height, { frames: 1, shift });
  const img = new PhotonImage(pictureRgba(width, height, shift), width, height);
  try {
    return format === "png"
      ? img.get_bytes()
      : format === "jpeg"
        ? img.get_bytes_jpeg(85)
        : img.get_bytes_webp();
  } finally {
    img.free();
  }
}

/** A PNG of one colour. */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([r, g, b, 255], p * 4);
  const img = new PhotonImage(rgba, width, height);
  try {
    return img.get_bytes();
  } finally {
    img.free();
  }
}

// ---------------------------------------------------------------------------------------------- GIF

/**
 * LZW "compression" that never grows the code table past 9-bit codes: 8-bit literals only, and a Clear
 * code every 254 literals (258 + 254 = 512 is where a decoder would switch to 10 bits). Valid for any decoder.
 */
function lzwLiterals(indices: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  const put = (code: number) => {
    acc |= code << bits;
    bits += 9;
    while (bits >= 8) {
      out.push(acc & 255);
      acc >>>= 8;
      bits -= 8;
    }
  };
  put(256); // Clear
  for (let i = 0; i < indices.length; i++) {
    if (i > 0 && i % 254 === 0) put(256);
    put(indices[i]!);
  }
  put(257); // End of information
  if (bits > 0) out.push(acc & 255);
  return new Uint8Array(out);
}

function subBlocks(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const part = data.subarray(i, i + 255);
    out.push(part.length, ...part);
  }
  out.push(0);
  return out;
}

const u16 = (n: number) => [n & 255, (n >>> 8) & 255];

export interface GifOptions {
  frames?: number;
  shift?: number;
  /** Size the first frame's descriptor declares (default: the screen); over a million pixels it gets no data. */
  firstFrameSize?: [number, number];
}

/**
 * A GIF89a with a 256-grey global palette and `frames` full-screen frames (each a shifted copy of the
 * test picture's red channel as palette indices), or a first frame declaring another size.
 */
export function gifImage(width: number, height: number, opts: GifOptions = {}): Uint8Array {
  const frames = opts.frames ?? 1;
  const shift = opts.shift ?? 0;
  const bytes: number[] = [...new TextEncoder().encode("GIF89a"), ...u16(width), ...u16(height), 0xf7, 0, 0];
  for (let i = 0; i < 256; i++) bytes.push(i, i, i);
  // NETSCAPE2.0 loop extension: what makes a browser treat it as an animation.
  if (frames > 1) bytes.push(0x21, 0xff, 11, ...new TextEncoder().encode("NETSCAPE2.0"), 3, 1, 0, 0, 0);
  const rgba = frames > 0 ? pictureRgba(width, height, shift) : new Uint8Array(0);
  for (let f = 0; f < frames; f++) {
    const [fw, fh] = f === 0 && opts.firstFrameSize ? opts.firstFrameSize : [width, height];
    // Graphic control extension: 10 ms per frame, no transparency.
    bytes.push(0x21, 0xf9, 4, 0, 1, 0, 0, 0);
    bytes.push(0x2c, ...u16(0), ...u16(0), ...u16(fw), ...u16(fh), 0, 8);
    // A bomb's frame (over a million pixels) carries no data: the declaration is the point.
    const indices = new Uint8Array(fw * fh > 1_000_000 ? 0 : fw * fh);
    for (let p = 0; p < indices.length; p++) indices[p] = (rgba[(p % (width * height)) * 4]! + f * 7) & 255;
    bytes.push(...subBlocks(lzwLiterals(indices)));
  }
  bytes.push(0x3b);
  return new Uint8Array(bytes);
}

// ----------------------------------------------------------------------------------------- mutations

/** The first `fraction` of the file. */
export function truncate(bytes: Uint8Array, fraction: number): Uint8Array {
  return bytes.slice(0, Math.max(1, Math.floor(bytes.length * fraction)));
}

/** A copy with `count` single-bit flips at positions spread evenly from `from` on (deterministic). */
export function flipBits(bytes: Uint8Array, count: number, from = 0): Uint8Array {
  const out = bytes.slice();
  const span = out.length - from;
  for (let k = 0; k < count; k++) {
    const at = from + Math.floor(((k + 0.5) * span) / count);
    out[at]! ^= 1 << ((k * 3) % 8);
  }
  return out;
}

/** A real JPEG whose first frame header (SOFn) is rewritten to declare width × height. */
export function jpegDeclaring(width: number, height: number): Uint8Array {
  const b = encodeImage("jpeg", 32, 32);
  for (let i = 2; i + 8 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1]! >= 0xc0 && b[i + 1]! <= 0xc2) {
      b.set([height >>> 8, height & 255, width >>> 8, width & 255], i + 5);
      return b;
    }
  }
  throw new Error("no SOF marker in photon's JPEG");
}

/** A real PNG whose IHDR declares width × height (its CRC no longer matches: a decoder must notice). */
export function pngDeclaring(width: number, height: number): Uint8Array {
  const b = encodeImage("png", 32, 32);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  return b;
}

/** A WebP whose VP8X chunk declares a width × height canvas (24 bits each), and no image data. */
export function webpDeclaring(width: number, height: number): Uint8Array {
  // RIFF, WEBP, VP8X chunk with the canvas size, then nothing: 30 bytes.
  const b = new Uint8Array(30);
  b.set(new TextEncoder().encode("RIFF"), 0);
  new DataView(b.buffer).setUint32(4, 22, true);
  b.set(new TextEncoder().encode("WEBPVP8X"), 8);
  new DataView(b.buffer).setUint32(16, 10, true);
  const w = width - 1;
  const h = height - 1;
  b.set([w & 255, (w >>> 8) & 255, (w >>> 16) & 255, h & 255, (h >>> 8) & 255, (h >>> 16) & 255], 24);
  return b;
}

/** A VP8X canvas of canvas×canvas around photon's own VP8L stream, rewritten to declare inner×inner. */
export function webpInnerBomb(canvas: number, inner: number): Uint8Array {
  const webp = encodeImage("webp", 32, 32);
  if (String.fromCharCode(...webp.subarray(12, 16)) !== "VP8L") throw new Error("photon's WebP is not VP8L");
  const chunk = webp.slice(12);
  const dv = new DataView(chunk.buffer);
  const bits = dv.getUint32(9, true);
  dv.setUint32(9, ((bits & 0xf0000000) | (inner - 1) | ((inner - 1) << 14)) >>> 0, true);
  const vp8x = new Uint8Array(18);
  vp8x.set(new TextEncoder().encode("VP8X"));
  new DataView(vp8x.buffer).setUint32(4, 10, true);
  vp8x.set([(canvas - 1) & 255, (canvas - 1) >> 8, 0, (canvas - 1) & 255, (canvas - 1) >> 8, 0], 12);
  const body = new Uint8Array([...new TextEncoder().encode("WEBP"), ...vp8x, ...chunk]);
  const file = new Uint8Array(8 + body.length);
  file.set(new TextEncoder().encode("RIFF"));
  new DataView(file.buffer).setUint32(4, body.length, true);
  file.set(body, 8);
  return file;
}

/**
 * The same PNG with a tEXt chunk added after IHDR: identical pixels (so identical features and answers),
 * different bytes (so different cache keys). A reference answer computed from one cannot come from the
 * other's cache entries.
 */
export function samePixelsOtherBytes(png: Uint8Array, note = "florence-edge test"): Uint8Array {
  const data = new TextEncoder().encode(`Comment\0${note}`);
  const chunk = new Uint8Array(12 + data.length);
  const dv = new DataView(chunk.buffer);
  dv.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode("tEXt"), 4);
  chunk.set(data, 8);
  dv.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const ihdrEnd = 8 + 25; // signature, then IHDR: length, type, 13 bytes, CRC
  return new Uint8Array([...png.subarray(0, ihdrEnd), ...chunk, ...png.subarray(ihdrEnd)]);
}
