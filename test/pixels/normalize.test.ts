import { describe, expect, it } from "vitest";
import { imageToPixelValues, normalizationLut, normalizeToChw } from "../../runtime/pixels";
import { fixture, golden, sha256 } from "./helpers";

describe("rescale + normalise equal transformers' float32 arithmetic", () => {
  it("every byte value of every channel, bit for bit", () => {
    const lut = normalizationLut();
    for (let c = 0; c < 3; c++) {
      const ref = Float32Array.from(golden.normalizeLut[c]!);
      expect(sha256(lut.subarray(c * 256, c * 256 + 256))).toBe(sha256(ref));
    }
  });

  it("lays the channels out CHW", () => {
    const rgb = new Uint8Array([0, 128, 255, 10, 20, 30]); // 2×1 image
    const out = normalizeToChw(rgb, 2, 1);
    const lut = normalizationLut();
    expect(Array.from(out)).toEqual([
      lut[0],
      lut[10],
      lut[256 + 128],
      lut[256 + 20],
      lut[512 + 255],
      lut[512 + 30],
    ]);
  });
});

describe("imageToPixelValues", () => {
  // The resized uint8 images of every lossless fixture are already checked in decode-formats.test.ts;
  // here a few representative ones go all the way to the float tensor.
  const names = [
    "png_rgb.png",
    "png_p_trns.png",
    "png_la.png",
    "gif_anim.gif",
    "orient_7.png",
    "webp_lossless_rgba.webp",
    "bmp_8.bmp",
  ];
  it.each(names.map((n) => [n, golden.images[n]!] as const))(
    "%s: the [1,3,768,768] tensor equals the reference processor's",
    async (name, g) => {
      const r = await imageToPixelValues(fixture(name), { minSide: 1 });
      expect(r.dims).toEqual([1, 3, 768, 768]);
      expect(r.pixelValues.length).toBe(3 * 768 * 768);
      expect(sha256(r.pixelValues)).toBe(g.pixelValuesSha256);
    },
  );
});
