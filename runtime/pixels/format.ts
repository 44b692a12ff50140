/**
 * Which image format the bytes are, from their magic numbers only. Content-Type is never trusted:
 * the decoder we hand the bytes to must be the one the bytes were written for.
 */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp" | "bmp";

export const SUPPORTED_FORMATS: readonly ImageFormat[] = ["png", "jpeg", "gif", "webp", "bmp"];

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8, 0xff];
const GIF87 = ascii("GIF87a");
const GIF89 = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const BM = ascii("BM");

/** The format the bytes claim by their signature, or null if none we support. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIG)) return "png";
  if (startsWith(bytes, JPEG_SOI)) return "jpeg";
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return "gif";
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return "webp";
  if (startsWith(bytes, BM)) return "bmp";
  return null;
}
