// The feature cache's binary format: fp16 decoding checked against @petamoriken/float16's own decoder for
// every bit pattern, round trips, and each way an entry can be unusable (which must be reported, never thrown).
import { getFloat16 } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import type { ImageFeatures } from "../../runtime/pipeline";
import { decodeFeatures, encodeFeatures } from "../../worker/cache/feature-codec";
import { fromFloat16Bits, toFloat16Bits } from "../../worker/cache/fp16";

function features(tokens: number, d: number, seed = 1): ImageFeatures {
  const f = new Float32Array(tokens * d);
  let s = seed;
  for (let i = 0; i < f.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    f[i] = ((s / 2 ** 32) * 2 - 1) * 8;
  }
  return { features: f, tokens, width: 640, height: 480 };
}

describe("fp16", () => {
  it("decodes all 65536 bit patterns as the ponyfill does", () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const ours = fromFloat16Bits(bits);
    const dv = new DataView(bits.buffer);
    for (let h = 0; h < 65536; h++) {
      const ref = getFloat16(dv, h * 2, true);
      if (Number.isNaN(ref)) expect(Number.isNaN(ours[h]!)).toBe(true);
      else expect(Object.is(ours[h], ref), `pattern ${h.toString(16)}`).toBe(true);
    }
  });

  it("rounds to nearest (ties to even), saturates to infinity, keeps zeros' signs", () => {
    const input = Float32Array.from([
      1,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      65504,
      65520,
      -0,
      2 ** -24,
      2 ** -26,
      NaN,
    ]);
    const back = fromFloat16Bits(toFloat16Bits(input));
    expect(Array.from(back.slice(0, 8))).toEqual([1, 1, 1 + 2 ** -9, 65504, Infinity, -0, 2 ** -24, 0]);
    expect(Number.isNaN(back[8]!)).toBe(true);
  });
});

describe("feature entries", () => {
  const key = "features/v1/model-a/px1/abc";

  it("round-trip fp32 exactly and fp16 within 2^-11 relative error, with shape and image size", async () => {
    const img = features(577, 16);
    const exact = await decodeFeatures(await encodeFeatures(img, key, "fp32"), key);
    expect(exact.ok && exact.features).toEqual(img);
    const entry = await encodeFeatures(img, key, "fp16");
    expect(entry.length).toBeLessThan(img.features.byteLength / 2 + 200);
    const half = await decodeFeatures(entry, key);
    if (!half.ok) throw new Error(half.reason);
    expect(half.dtype).toBe("fp16");
    expect({ ...half.features, features: undefined }).toEqual({ ...img, features: undefined });
    half.features.features.forEach((v, i) =>
      expect(Math.abs(v - img.features[i]!)).toBeLessThanOrEqual(
        Math.abs(img.features[i]!) * 2 ** -11 + 2 ** -25,
      ),
    );
  });

  it("decodes from an unaligned view of a larger buffer", async () => {
    const entry = await encodeFeatures(features(3, 5), key);
    const padded = new Uint8Array(entry.length + 3);
    padded.set(entry, 1);
    expect((await decodeFeatures(padded.subarray(1, 1 + entry.length), key)).ok).toBe(true);
  });

  const corruptions: [string, (e: Uint8Array) => Uint8Array, RegExp][] = [
    ["a flipped payload byte", (e) => ((e[e.length - 1]! ^= 1), e), /checksum/],
    ["a changed image width", (e) => ((e[16]! ^= 1), e), /checksum/],
    ["a changed shape", (e) => ((e[12]! += 1), e), /length/],
    ["bad magic", (e) => ((e[0] = 0), e), /magic/],
    ["an unknown dtype", (e) => ((e[5] = 9), e), /dtype/],
    ["a newer format version", (e) => ((e[4] = 2), e), /version/],
    ["truncation", (e) => e.subarray(0, e.length - 10), /length/],
    ["a few bytes only", (e) => e.subarray(0, 20), /short/],
  ];
  it.each(corruptions)("refuses an entry with %s", async (_, corrupt, reason) => {
    const r = await decodeFeatures(corrupt(await encodeFeatures(features(4, 8), key)), key);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("refuses an entry written under another key (another image or model version)", async () => {
    const r = await decodeFeatures(await encodeFeatures(features(4, 8), key), "features/v1/model-b/px1/abc");
    expect(r).toEqual({ ok: false, reason: "written under another key" });
  });
});
