// The binary format of a cached image_features entry (little-endian):
//
//   0  "FEFT"                magic
//   4  u8  format version    (1)
//   5  u8  dtype             (1 = fp16, 2 = fp32)
//   6  u16 header bytes      (through the checksum; a multiple of 4 so the payload is aligned)
//   8  u32 tokens            (577 for Florence-2)
//  12  u32 dModel            (768 for base)
//  16  u32 width, u32 height (original image size after EXIF orientation: answers' coordinates need it)
//  24  u16 key bytes, then the cache key (UTF-8; it names model version, preprocessing version and image
//      hash, so an entry read under another key or written by another model is refused), zero padding
//  ..  32 bytes SHA-256 of everything before it plus the payload
//  ..  payload: tokens × dModel values
//
// decodeFeatures never throws on bad bytes: it says why the entry is unusable, and the caller counts it,
// ignores it and overwrites it.
import type { ImageFeatures } from "../../runtime/pipeline";
import { fromFloat16Bits, toFloat16Bits } from "./fp16";
import { sha256 } from "./sha256";

const MAGIC = [0x46, 0x45, 0x46, 0x54]; // "FEFT"
const FORMAT_VERSION = 1;
const CHECKSUM_BYTES = 32;
const FIXED_BYTES = 26;

export type FeatureDtype = "fp16" | "fp32";
const DTYPE_CODE: Record<FeatureDtype, number> = { fp16: 1, fp32: 2 };
const DTYPE_BYTES: Record<FeatureDtype, number> = { fp16: 2, fp32: 4 };

export type DecodeResult =
  { ok: true; features: ImageFeatures; dtype: FeatureDtype } | { ok: false; reason: string };

const align4 = (n: number) => (n + 3) & ~3;

export async function encodeFeatures(
  image: ImageFeatures,
  key: string,
  dtype: FeatureDtype = "fp16",
): Promise<Uint8Array> {
  const dModel = image.features.length / image.tokens;
  if (!Number.isInteger(dModel))
    throw new RangeError(`features length ${image.features.length} is not tokens × dModel`);
  const keyBytes = new TextEncoder().encode(key);
  const checksumAt = align4(FIXED_BYTES + keyBytes.length);
  const headerBytes = checksumAt + CHECKSUM_BYTES;
  const payload =
    dtype === "fp16"
      ? new Uint8Array(toFloat16Bits(image.features).buffer)
      : new Uint8Array(image.features.slice().buffer);
  const out = new Uint8Array(headerBytes + payload.length);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint8(4, FORMAT_VERSION);
  dv.setUint8(5, DTYPE_CODE[dtype]);
  dv.setUint16(6, headerBytes, true);
  dv.setUint32(8, image.tokens, true);
  dv.setUint32(12, dModel, true);
  dv.setUint32(16, image.width, true);
  dv.setUint32(20, image.height, true);
  dv.setUint16(24, keyBytes.length, true);
  out.set(keyBytes, FIXED_BYTES);
  out.set(payload, headerBytes);
  out.set(await checksum(out, checksumAt, headerBytes), checksumAt);
  return out;
}

/** SHA-256 of the header before the checksum field, followed by the payload. */
async function checksum(entry: Uint8Array, checksumAt: number, headerBytes: number): Promise<Uint8Array> {
  const covered = new Uint8Array(checksumAt + entry.length - headerBytes);
  covered.set(entry.subarray(0, checksumAt), 0);
  covered.set(entry.subarray(headerBytes), checksumAt);
  return sha256(covered);
}

export async function decodeFeatures(entry: Uint8Array, expectedKey: string): Promise<DecodeResult> {
  const fail = (reason: string): DecodeResult => ({ ok: false, reason });
  if (entry.length < FIXED_BYTES + CHECKSUM_BYTES) return fail("too short");
  if (!MAGIC.every((b, i) => entry[i] === b)) return fail("bad magic");
  const dv = new DataView(entry.buffer, entry.byteOffset, entry.byteLength);
  if (dv.getUint8(4) !== FORMAT_VERSION) return fail(`format version ${dv.getUint8(4)}`);
  const dtype = (Object.keys(DTYPE_CODE) as FeatureDtype[]).find((d) => DTYPE_CODE[d] === dv.getUint8(5));
  if (!dtype) return fail(`unknown dtype ${dv.getUint8(5)}`);
  const headerBytes = dv.getUint16(6, true);
  const tokens = dv.getUint32(8, true);
  const dModel = dv.getUint32(12, true);
  const width = dv.getUint32(16, true);
  const height = dv.getUint32(20, true);
  const keyLength = dv.getUint16(24, true);
  const checksumAt = align4(FIXED_BYTES + keyLength);
  if (headerBytes !== checksumAt + CHECKSUM_BYTES) return fail("header length mismatch");
  if (tokens === 0 || dModel === 0 || width === 0 || height === 0) return fail("empty shape");
  if (entry.length !== headerBytes + tokens * dModel * DTYPE_BYTES[dtype])
    return fail("payload length mismatch");
  const key = new TextDecoder().decode(entry.subarray(FIXED_BYTES, FIXED_BYTES + keyLength));
  if (key !== expectedKey) return fail("written under another key");
  const sum = await checksum(entry, checksumAt, headerBytes);
  if (!sum.every((b, i) => entry[checksumAt + i] === b)) return fail("checksum mismatch");
  // Copy the payload so it is aligned whatever the caller's buffer offset.
  const payload = entry.slice(headerBytes);
  const features =
    dtype === "fp16" ? fromFloat16Bits(new Uint16Array(payload.buffer)) : new Float32Array(payload.buffer);
  return { ok: true, dtype, features: { features, tokens, width, height } };
}
