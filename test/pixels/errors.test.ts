/**
 * Bad input fails with ImageDecodeError and a stable code, before anything large is allocated; random
 * and mutated bytes never escape as any other kind of error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  ImageDecodeError,
  imageToPixelValues,
  probeImage,
  type ImageDecodeErrorCode,
} from "../../runtime/pixels";
import { fixture, PNG_SIGNATURE } from "./helpers";

function codeOf(f: () => unknown): ImageDecodeErrorCode | "no error" {
  try {
    f();
  } catch (e) {
    if (e instanceof ImageDecodeError) return e.code;
    throw e;
  }
  return "no error";
}

const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** A PNG whose IHDR claims w×h, followed by no image data at all. */
function pngHeader(w: number, h: number): Uint8Array {
  return new Uint8Array([
    ...PNG_SIGNATURE,
    0,
    0,
    0,
    13,
    0x49,
    0x48,
    0x44,
    0x52,
    ...be32(w),
    ...be32(h),
    8,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
}

describe("unsupported_media_type", () => {
  it.each([
    ["empty", new Uint8Array(0)],
    ["text", new TextEncoder().encode("hello, this is not an image")],
    ["TIFF", new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])],
    ["PDF", new TextEncoder().encode("%PDF-1.7\n")],
    ["RIFF but not WEBP", new TextEncoder().encode("RIFF\x10\x00\x00\x00WAVEfmt ")],
  ])("%s", (_, bytes) => {
    expect(codeOf(() => decodeImage(bytes))).toBe("unsupported_media_type");
  });
});

describe("undecodable_image", () => {
  it.each([
    "png_rgb.png",
    "jpeg_420.jpg",
    "gif_anim.gif",
    "webp_lossy.webp",
    "webp_lossless.webp",
    "bmp_24.bmp",
  ])("%s truncated at several points", (name) => {
    const full = fixture(name);
    for (const cut of [4, 12, 20, 40, Math.floor(full.length / 2), full.length - 30]) {
      const code = codeOf(() => decodeImage(full.subarray(0, cut)));
      if (cut === 4) {
        // Too short for a PNG/GIF/WebP signature to be recognised at all; JPEG and BMP ones are shorter.
        expect(code).toBe(/\.(png|gif|webp)$/.test(name) ? "unsupported_media_type" : "undecodable_image");
      } else if (cut <= 20) {
        expect(code).toBe("undecodable_image"); // caught while reading the header
      } else {
        // A cut in the pixel data is the decoder's to find; some decoders (GIF, BMP, JPEG) accept a
        // truncated tail and pad it, which is not an error for us either.
        expect(["undecodable_image", "no error"]).toContain(code);
      }
    }
  });

  it("valid signature followed by garbage", () => {
    const garbage = new Uint8Array(200).map((_, i) => (i * 131 + 7) & 255);
    for (const sig of [
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [0xff, 0xd8, 0xff],
      [0x42, 0x4d],
    ]) {
      const b = new Uint8Array([...sig, ...garbage]);
      // Garbage may also read as an absurd size, which is reported as such.
      expect(["undecodable_image", "image_dimensions_out_of_range"]).toContain(codeOf(() => decodeImage(b)));
    }
  });

  it("a PNG header with a sane size but no data", () => {
    expect(codeOf(() => decodeImage(pngHeader(100, 100)))).toBe("undecodable_image");
  });
});

describe("image_dimensions_out_of_range, decided from the header alone", () => {
  it("PNG claiming 100000×100000 (no data follows: the decoder is never reached)", () => {
    expect(codeOf(() => decodeImage(pngHeader(100000, 100000)))).toBe("image_dimensions_out_of_range");
  });
  it("PNG within 16000 per side but over the pixel cap", () => {
    expect(codeOf(() => decodeImage(pngHeader(15000, 15000)))).toBe("image_dimensions_out_of_range");
    expect(codeOf(() => decodeImage(pngHeader(15000, 15000), { maxPixels: 300_000_000 }))).toBe(
      "undecodable_image",
    );
  });
  it("JPEG SOF claiming 60000×60000", () => {
    const b = fixture("jpeg_420.jpg").slice();
    // Rewrite the first SOF0's height and width.
    for (let i = 2; i < b.length; i++) {
      if (b[i] === 0xff && b[i + 1] === 0xc0) {
        b.set([0xea, 0x60, 0xea, 0x60], i + 5);
        break;
      }
    }
    expect(probeImage(b)).toMatchObject({ format: "jpeg", width: 60000, height: 60000 });
    expect(codeOf(() => decodeImage(b))).toBe("image_dimensions_out_of_range");
  });
  it("GIF, WebP (VP8X) and BMP headers", () => {
    const gif = new Uint8Array([...new TextEncoder().encode("GIF89a"), 0x20, 0x4e, 0x20, 0x4e, 0, 0, 0]); // 20000×20000
    expect(codeOf(() => decodeImage(gif))).toBe("image_dimensions_out_of_range");
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"));
    webp.set([0x10, 0, 0, 0, 0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00], 20); // 16384×16384
    expect(probeImage(webp)).toMatchObject({ format: "webp", width: 16384, height: 16384 });
    expect(codeOf(() => decodeImage(webp))).toBe("image_dimensions_out_of_range");
    const bmp = fixture("bmp_24.bmp").slice();
    new DataView(bmp.buffer).setInt32(22, -17000, true); // top-down, 17000 rows
    expect(codeOf(() => decodeImage(bmp))).toBe("image_dimensions_out_of_range");
  });
  it("smaller than 16 pixels on a side by default; the minimum is configurable", () => {
    expect(codeOf(() => decodeImage(fixture("palette_color.png")))).toBe("image_dimensions_out_of_range"); // 10×10
    expect(codeOf(() => decodeImage(fixture("palette_color.png"), { minSide: 10 }))).toBe("no error");
    expect(codeOf(() => decodeImage(fixture("png_rgb.png"), { maxSide: 39 }))).toBe(
      "image_dimensions_out_of_range",
    );
  });
  it("imageToPixelValues rejects with the same typed error", async () => {
    await expect(imageToPixelValues(pngHeader(100000, 1))).rejects.toMatchObject({
      name: "ImageDecodeError",
      code: "image_dimensions_out_of_range",
    });
  });
});

describe("property: decode never throws anything but ImageDecodeError", () => {
  const onlyTypedErrors = (bytes: Uint8Array): boolean => {
    try {
      decodeImage(bytes, { minSide: 1 });
    } catch (e) {
      if (!(e instanceof ImageDecodeError)) throw e;
    }
    return true;
  };

  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), onlyTypedErrors), { numRuns: 500 });
  });

  it("random bytes behind each supported signature", () => {
    const sigs = [
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [0xff, 0xd8, 0xff],
      [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
      [0x42, 0x4d],
    ];
    const arb = fc.tuple(fc.constantFrom(...sigs), fc.uint8Array({ maxLength: 512 }));
    fc.assert(
      fc.property(arb, ([sig, rest]) => onlyTypedErrors(new Uint8Array([...sig, ...rest]))),
      { numRuns: 500 },
    );
  });

  it("valid files with random byte changes and truncations", () => {
    const files = [
      "png_rgb.png",
      "png_p_trns.png",
      "jpeg_420.jpg",
      "jpeg_progressive.jpg",
      "gif_anim.gif",
      "webp_lossy.webp",
      "webp_lossless_rgba.webp",
      "bmp_8.bmp",
      "orient_6.jpg",
    ].map(fixture);
    const arb = fc.record({
      file: fc.nat({ max: files.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat()),
    });
    fc.assert(
      fc.property(arb, ({ file, edits, cut }) => {
        const b = files[file]!.slice();
        for (const [pos, v] of edits) b[pos % b.length] = v;
        return onlyTypedErrors(cut === null ? b : b.subarray(0, cut % (b.length + 1)));
      }),
      { numRuns: 400 },
    );
    // photon survives its own panics: a good image still decodes afterwards.
    expect(decodeImage(fixture("png_rgb.png")).width).toBe(40);
  });
});
