// Test images (PNG through photon's encoder, by the reliability corpus) and hand-built headers for the limit checks.
import { encodeImage } from "../reliability/corpus-images";

/** The shared test picture (test/helpers/test-image.ts) as PNG; `shift` varies the content so hashes differ. */
export function picturePng(width: number, height: number, shift = 0): Uint8Array {
  return encodeImage("png", width, height, shift);
}

/** A PNG signature and IHDR claiming width × height, and nothing else: enough for the header check. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const b = new Uint8Array(8 + 25);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  const dv = new DataView(b.buffer);
  dv.setUint32(8, 13);
  b.set([0x49, 0x48, 0x44, 0x52], 12); // IHDR
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}

/** A real PNG cut short inside its image data: the header is fine, decoding is not. */
export function truncatedPng(): Uint8Array {
  const png = picturePng(64, 48, 7);
  return png.slice(0, Math.floor(png.length * 0.6));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
