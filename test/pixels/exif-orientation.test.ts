/**
 * EXIF orientation 1..8 against PIL's ImageOps.exif_transpose (PNG eXIf: exact; JPEG APP1: within the
 * decoder tolerance; WebP EXIF chunk: exact), and the option that turns it off.
 */
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  imageToPixelValues,
  imageToResizedRgb,
  interleavedView,
  orientationFromTiff,
  orientView,
  readOrientation,
  viewToRgb,
} from "../../runtime/pixels";
import { absDiff, fixture, golden, pilDecoded, sha256 } from "./helpers";

const ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

function oriented(name: string, apply = true): { rgb: Uint8Array; width: number; height: number } {
  const d = decodeImage(fixture(name));
  const v = orientView(interleavedView(d.rgba, d.width, d.height, 4), apply ? d.orientation : 1);
  return { rgb: viewToRgb(v), width: v.width, height: v.height };
}

describe("EXIF orientation is honoured like PIL's exif_transpose", () => {
  it.each(ORIENTATIONS)("PNG eXIf orientation %i: exact pixels and size", (o) => {
    const name = `orient_${o}.png`;
    const g = golden.images[name]!;
    expect(readOrientation(fixture(name), "png")).toBe(o);
    const { rgb, width, height } = oriented(name);
    expect([width, height]).toEqual([g.width, g.height]);
    expect(sha256(rgb)).toBe(g.decodedSha256);
    expect(sha256(imageToResizedRgb(fixture(name)).rgb)).toBe(g.resizedSha256);
  });

  it.each(ORIENTATIONS)("JPEG APP1 orientation %i: size and pixels within decoder tolerance", (o) => {
    const name = `orient_${o}.jpg`;
    const g = golden.images[name]!;
    expect(readOrientation(fixture(name), "jpeg")).toBe(o);
    const { rgb, width, height } = oriented(name);
    expect([width, height]).toEqual([g.width, g.height]);
    const d = absDiff(rgb, pilDecoded(name)!);
    expect(d.mean).toBeLessThan(0.15);
    expect(d.max).toBeLessThanOrEqual(3);
  });

  it("WebP EXIF chunk (orientation 6)", () => {
    const g = golden.images["orient_6.webp"]!;
    expect(readOrientation(fixture("orient_6.webp"), "webp")).toBe(6);
    const { rgb, width, height } = oriented("orient_6.webp");
    expect([width, height]).toEqual([g.width, g.height]);
    expect(sha256(rgb)).toBe(g.decodedSha256);
  });

  it("the result reports the size after orientation", async () => {
    const r = await imageToPixelValues(fixture("orient_6.png"));
    expect([r.width, r.height, r.orientation]).toEqual([32, 48, 6]);
  });
});

describe("applyExifOrientation: false", () => {
  it.each(ORIENTATIONS)(
    "orientation %i is ignored: the stored pixels, as PIL without exif_transpose",
    async (o) => {
      const name = `orient_${o}.png`;
      const g = golden.images[name]!;
      const r = imageToResizedRgb(fixture(name), { applyExifOrientation: false });
      expect([r.width, r.height, r.orientation]).toEqual([g.widthNoExif, g.heightNoExif, 1]);
      expect(sha256(r.rgb)).toBe(g.resizedSha256NoExif);
      const p = await imageToPixelValues(fixture(name), { applyExifOrientation: false });
      expect([p.width, p.height]).toEqual([g.widthNoExif, g.heightNoExif]);
    },
  );
});

describe("orientationFromTiff", () => {
  const tiff = (little: boolean, type: number, value: number, tag = 0x0112): Uint8Array => {
    const b = new Uint8Array(26);
    const dv = new DataView(b.buffer);
    b.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
    dv.setUint16(2, 42, little);
    dv.setUint32(4, 8, little);
    dv.setUint16(8, 1, little);
    dv.setUint16(10, tag, little);
    dv.setUint16(12, type, little);
    dv.setUint32(14, 1, little);
    if (type === 3) dv.setUint16(18, value, little);
    else dv.setUint32(18, value, little);
    return b;
  };
  it("reads SHORT in both byte orders, and LONG", () => {
    expect(orientationFromTiff(tiff(true, 3, 6))).toBe(6);
    expect(orientationFromTiff(tiff(false, 3, 8))).toBe(8);
    expect(orientationFromTiff(tiff(true, 4, 3))).toBe(3);
  });
  it("falls back to 1 for out-of-range values, other tags, truncation and garbage", () => {
    expect(orientationFromTiff(tiff(true, 3, 9))).toBe(1);
    expect(orientationFromTiff(tiff(true, 3, 0))).toBe(1);
    expect(orientationFromTiff(tiff(true, 3, 6, 0x0110))).toBe(1);
    expect(orientationFromTiff(tiff(true, 3, 6).subarray(0, 20))).toBe(1);
    expect(orientationFromTiff(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe(1);
  });
  it("formats without EXIF report 1", () => {
    expect(readOrientation(fixture("gif_anim.gif"), "gif")).toBe(1);
    expect(readOrientation(fixture("bmp_24.bmp"), "bmp")).toBe(1);
    expect(readOrientation(fixture("png_rgb.png"), "png")).toBe(1);
  });
});
