/** Shared test plumbing: photon's Node entry (the runtime takes the WASM module injected), fixtures, hashes. */
import { photonWasmModule } from "@cf-wasm/photon/node";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { installPhoton } from "../../runtime/pixels";

installPhoton(photonWasmModule);

const IMAGES = fileURLToPath(new URL("../fixtures/images/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("./golden/", import.meta.url));

export interface GoldenImage {
  mode: string;
  n_frames: number;
  width: number;
  height: number;
  widthNoExif: number;
  heightNoExif: number;
  decodedSha256: string;
  decodedSha256NoExif: string;
  resizedSha256: string;
  resizedSha256NoExif: string;
  resizedSum: [number, number, number];
  resizedSumNoExif: [number, number, number];
  pixelValuesSha256: string;
  lossy: boolean;
}

export interface Golden {
  pillow: string;
  images: Record<string, GoldenImage>;
  synthResize: { w: number; h: number; outW: number; outH: number; sha256: string }[];
  normalizeLut: number[][];
}

/** PIL's outputs, written once by scripts/pil-compare/make_fixtures.py. */
export const golden: Golden = JSON.parse(readFileSync(GOLDEN + "pil-golden.json", "utf8")) as Golden;

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(IMAGES + name));
}

/** PIL's decoded RGB (after EXIF transpose) for the lossy fixtures, or null. */
export function pilDecoded(name: string): Uint8Array | null {
  const p = GOLDEN + name + ".rgb";
  return existsSync(p) ? new Uint8Array(readFileSync(p)) : null;
}

export function sha256(a: ArrayBufferView): string {
  return createHash("sha256")
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest("hex");
}

export { absDiff } from "./abs-diff";

/** The 8-byte signature every PNG starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function channelSums(rgb: Uint8Array): [number, number, number] {
  const s: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < rgb.length; i += 3) {
    s[0] += rgb[i]!;
    s[1] += rgb[i + 1]!;
    s[2] += rgb[i + 2]!;
  }
  return s;
}
