/**
 * Sizes declared inside the container besides the header's canvas: a GIF's first frame and a WebP's
 * bitstreams (VP8/VP8L, also inside animation frames). The decoder allocates by these, not by the canvas:
 * a 64×64 GIF screen whose first frame declares 8000×8000 made photon grow its WASM memory to ~400 MB
 * before failing, and so did a VP8X canvas of 64×64 around a VP8L stream of 8000×8000 (~260 MB).
 * So they are checked against the same upper limits before decoding. Every read is bounds-checked;
 * what cannot be walked is left to the decoder (which then fails on it).
 */
import { gifFirstFrame } from "./gif-first-frame";
import type { ImageFormat } from "./format";

export interface DeclaredSize {
  /** What declares it, for the error message ("GIF first frame", "WebP VP8L bitstream"…). */
  what: string;
  width: number;
  height: number;
}

const u16le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32le = (b: Uint8Array, i: number): number => (u24le(b, i) | (b[i + 3]! << 24)) >>> 0;
const fourcc = (b: Uint8Array, i: number): string =>
  String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);

/** Size in a VP8 or VP8L chunk's payload, or null if the payload is too short or not recognisable. */
function bitstreamSize(b: Uint8Array, kind: string, at: number, end: number): DeclaredSize | null {
  if (kind === "VP8 " && end - at >= 10 && b[at + 3] === 0x9d && b[at + 4] === 0x01 && b[at + 5] === 0x2a) {
    return {
      what: "WebP VP8 bitstream",
      width: u16le(b, at + 6) & 0x3fff,
      height: u16le(b, at + 8) & 0x3fff,
    };
  }
  if (kind === "VP8L" && end - at >= 5 && b[at] === 0x2f) {
    const bits = u32le(b, at + 1);
    return { what: "WebP VP8L bitstream", width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return null;
}

/** Walks RIFF chunks in [at, end): bitstreams, and animation frames (their rectangle and inner chunks). */
function webpChunks(b: Uint8Array, at: number, end: number, out: DeclaredSize[]): void {
  while (at + 8 <= end) {
    const kind = fourcc(b, at);
    const size = u32le(b, at + 4);
    const start = at + 8;
    const stop = Math.min(end, start + size);
    const stream = bitstreamSize(b, kind, start, stop);
    if (stream) out.push(stream);
    if (kind === "ANMF" && stop - start >= 16) {
      // Frame X and Y are stored halved; width and height minus one.
      const x = u24le(b, start) * 2;
      const y = u24le(b, start + 3) * 2;
      out.push({
        what: "WebP animation frame",
        width: x + u24le(b, start + 6) + 1,
        height: y + u24le(b, start + 9) + 1,
      });
      webpChunks(b, start + 16, stop, out);
    }
    // Chunks are padded to an even size.
    at = start + size + (size & 1);
  }
}

/** The sizes the decoder may allocate by, beyond the header's (empty for PNG, JPEG and BMP). */
export function declaredFrameSizes(bytes: Uint8Array, format: ImageFormat): DeclaredSize[] {
  if (format === "gif") {
    const frame = gifFirstFrame(bytes);
    return frame
      ? [{ what: "GIF first frame", width: frame.left + frame.width, height: frame.top + frame.height }]
      : [];
  }
  if (format === "webp") {
    const out: DeclaredSize[] = [];
    webpChunks(bytes, 12, bytes.length, out);
    return out;
  }
  return [];
}
