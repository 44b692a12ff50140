// Decompression bombs that pass the header check: a small canvas whose first GIF frame, or whose WebP
// bitstream inside a VP8X canvas, declares a huge size. photon allocates by the inner size (measured before
// the fix: ~400 MB of WASM memory for an 8000×8000 GIF frame in a 64×64 screen, ~260 MB for the WebP), so
// runtime/pixels refuses them from the declared sizes, before decoding. Also: the inner-size walker over
// random bytes.
import { photonWasmModule } from "@cf-wasm/photon/node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeImage, ImageDecodeError, installPhoton, photonMemoryBytes } from "../../runtime/pixels";
import { declaredFrameSizes } from "../../runtime/pixels/frame-sizes";
import { encodeImage, gifImage, webpInnerBomb } from "./corpus-images";

installPhoton(photonWasmModule);

const codeOf = (bytes: Uint8Array, limits = {}): string => {
  try {
    decodeImage(bytes, limits);
    return "decoded";
  } catch (e) {
    if (e instanceof ImageDecodeError) return e.code;
    throw e;
  }
};

describe("sizes declared inside the container are limited like the canvas", () => {
  it("reads what the generators declared", () => {
    expect(declaredFrameSizes(gifImage(64, 48, { firstFrameSize: [8000, 700] }), "gif")).toEqual([
      { what: "GIF first frame", width: 8000, height: 700 },
    ]);
    expect(declaredFrameSizes(webpInnerBomb(64, 8000), "webp")).toEqual([
      { what: "WebP VP8L bitstream", width: 8000, height: 8000 },
    ]);
    expect(declaredFrameSizes(encodeImage("png", 20, 20), "png")).toEqual([]);
  });

  it("refuses them before photon allocates anything", async () => {
    const before = await photonMemoryBytes();
    const limits = { maxPixels: 10_000_000 };
    expect(codeOf(gifImage(64, 64, { firstFrameSize: [8000, 8000] }), limits)).toBe(
      "image_dimensions_out_of_range",
    );
    expect(codeOf(gifImage(64, 64, { firstFrameSize: [30000, 30000] }), limits)).toBe(
      "image_dimensions_out_of_range",
    );
    expect(codeOf(webpInnerBomb(64, 8000), limits)).toBe("image_dimensions_out_of_range");
    expect(await photonMemoryBytes()).toBe(before);
  });

  it("still decodes frames and bitstreams within the limits, and many-frame GIFs (first frame only)", () => {
    expect(codeOf(gifImage(64, 64, { firstFrameSize: [40, 40] }))).toBe("decoded");
    expect(decodeImage(gifImage(40, 30, { frames: 500 }))).toMatchObject({
      format: "gif",
      width: 40,
      height: 30,
    });
    expect(decodeImage(encodeImage("webp", 50, 40))).toMatchObject({ format: "webp", width: 50, height: 40 });
  });

  it("property: the walker never throws and reports non-negative integer sizes, whatever the bytes", () => {
    const riff = [...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WEBP")];
    const chunkNames = ["VP8X", "VP8 ", "VP8L", "ANMF", "ALPH", "EXIF"].map((s) => [
      ...new TextEncoder().encode(s),
    ]);
    // Random bytes, random bytes behind a GIF/WebP signature, and WebP chunk soups with random sizes.
    const chunk = fc.tuple(
      fc.constantFrom(...chunkNames),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ maxLength: 40 }),
    );
    const soup = fc.array(chunk, { maxLength: 6 }).map((cs) => {
      const parts: number[] = [...riff];
      for (const [name, size, data] of cs)
        parts.push(...name, size & 255, (size >>> 8) & 255, (size >>> 16) & 255, size >>> 24, ...data);
      return new Uint8Array(parts);
    });
    const gif = fc
      .uint8Array({ maxLength: 300 })
      .map((rest) => new Uint8Array([...new TextEncoder().encode("GIF89a"), ...rest]));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), gif, soup),
        fc.constantFrom("gif" as const, "webp" as const),
        (bytes, format) => {
          for (const s of declaredFrameSizes(bytes, format)) {
            expect(Number.isInteger(s.width) && s.width >= 0).toBe(true);
            expect(Number.isInteger(s.height) && s.height >= 0).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
