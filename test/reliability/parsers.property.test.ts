// Property-based tests (fast-check) of our own parsers between request bytes and tensors, beyond the decoder
// fuzzing of test/pixels/errors.test.ts: header sizes, the JPEG segment walker, EXIF orientation, base64,
// region text and pixel boxes, the bounded body reader and the feature-cache codec. Two kinds of property:
// hostile input (random bytes) only ever gives the typed error or a well-formed value, never another
// exception; and input built by an independent generator (or Node's Buffer) is read back exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  findExifTiff,
  ImageDecodeError,
  orientationFromTiff,
  probeImage,
  readOrientation,
  type ImageFormat,
} from "../../runtime/pixels";
import { forEachJpegSegment } from "../../runtime/pixels/jpeg-segments";
import { PromptError } from "../../runtime/prompt/prompt-error";
import { regionToLocText } from "../../runtime/prompt/region";
import { analysisOptions } from "../../worker/analysis-options";
import { decodeFeatures } from "../../worker/cache/feature-codec";
import { configFromVars } from "../../worker/config";
import { decodeBase64Image } from "../../worker/image-input";
import { ApiError } from "../../worker/problem";
import { readBounded } from "../../worker/read-body";

const RUNS = { numRuns: 400 };
const ascii = (s: string) => [...new TextEncoder().encode(s)];
const u16be = (n: number) => [(n >>> 8) & 255, n & 255];
const u16le = (n: number) => [n & 255, (n >>> 8) & 255];
const u32be = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u32le = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];

/** Runs f; an ImageDecodeError is fine (returned), any other exception fails the property. */
function typedOnly<T>(f: () => T): T | ImageDecodeError {
  try {
    return f();
  } catch (e) {
    if (e instanceof ImageDecodeError) return e;
    throw e;
  }
}

describe("image headers", () => {
  const side = fc.integer({ min: 1, max: 65535 });
  /** Minimal headers written from the format specifications (not from our reader). */
  const headers: Record<string, (w: number, h: number) => number[]> = {
    png: (w, h) => [
      0x89,
      ...ascii("PNG\r\n\x1a\n"),
      ...u32be(13),
      ...ascii("IHDR"),
      ...u32be(w),
      ...u32be(h),
      8,
      2,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ],
    gif: (w, h) => [...ascii("GIF89a"), ...u16le(w), ...u16le(h), 0, 0, 0],
    bmp: (w, h) => [
      ...ascii("BM"),
      ...u32le(0),
      0,
      0,
      0,
      0,
      ...u32le(54),
      ...u32le(40),
      ...u32le(w),
      ...u32le(h),
      1,
      0,
      24,
      0,
    ],
    jpeg: (w, h) => [
      0xff,
      0xd8,
      0xff,
      0xe0,
      ...u16be(16),
      ...ascii("JFIF\0"),
      1,
      1,
      0,
      0,
      1,
      0,
      1,
      0,
      0,
      0xff,
      0xc0,
      ...u16be(11),
      8,
      ...u16be(h),
      ...u16be(w),
      1,
      1,
      0x11,
      0,
    ],
    webp: (w, h) => [
      ...ascii("RIFF"),
      ...u32le(22),
      ...ascii("WEBPVP8X"),
      ...u32le(10),
      0,
      0,
      0,
      0,
      (w - 1) & 255,
      ((w - 1) >> 8) & 255,
      (w - 1) >> 16,
      (h - 1) & 255,
      ((h - 1) >> 8) & 255,
      (h - 1) >> 16,
    ],
  };

  it("read back the size each format's header declares", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(headers)), side, side, (format, w, h) => {
        expect(probeImage(new Uint8Array(headers[format]!(w, h)))).toEqual({ format, width: w, height: h });
      }),
      RUNS,
    );
  });

  it("a header cut anywhere gives a typed error or a size, never another exception", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(headers)), side, side, fc.nat(), (format, w, h, cut) => {
        const full = headers[format]!(w, h);
        const got = typedOnly(() => probeImage(new Uint8Array(full.slice(0, cut % (full.length + 1)))));
        if (!(got instanceof ImageDecodeError)) expect(got.format).toBe(format);
      }),
      RUNS,
    );
  });
});

describe("the JPEG segment walker", () => {
  it("visits only segments inside the data, in order, and fails only with ImageDecodeError", () => {
    const body = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        fc.tuple(
          fc.integer({ min: 0xc0, max: 0xfe }),
          fc.integer({ min: 0, max: 70 }),
          fc.uint8Array({ maxLength: 60 }),
        ),
      ),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(body, (parts) => {
        const bytes: number[] = [0xff, 0xd8];
        for (const p of parts) {
          if (p instanceof Uint8Array) bytes.push(...p);
          else bytes.push(0xff, p[0], ...u16be(p[1]), ...p[2]);
        }
        const b = new Uint8Array(bytes);
        let last = 0;
        typedOnly(() =>
          forEachJpegSegment(b, (_marker, start, length) => {
            expect(start).toBeGreaterThan(last);
            expect(start + length).toBeLessThanOrEqual(b.length);
            last = start;
            return true;
          }),
        );
      }),
      RUNS,
    );
  });
});

describe("EXIF orientation", () => {
  /** A TIFF block written from the TIFF 6.0 layout, with the orientation tag among other entries. */
  const tiff = fc.record({
    little: fc.boolean(),
    orientation: fc.integer({ min: 1, max: 8 }),
    before: fc.array(fc.integer({ min: 0x0100, max: 0x0111 }), { maxLength: 4 }),
    gap: fc.nat({ max: 20 }),
    long: fc.boolean(),
  });
  function tiffBytes(t: {
    little: boolean;
    orientation: number;
    before: number[];
    gap: number;
    long: boolean;
  }): number[] {
    const w16 = t.little ? u16le : u16be;
    const w32 = t.little ? u32le : u32be;
    const entries = [
      ...t.before.map((tag) => [...w16(tag), ...w16(3), ...w32(1), ...w16(7), 0, 0]),
      [
        ...w16(0x0112),
        ...w16(t.long ? 4 : 3),
        ...w32(1),
        ...(t.long ? w32(t.orientation) : [...w16(t.orientation), 0, 0]),
      ],
    ];
    return [
      ...ascii(t.little ? "II" : "MM"),
      ...w16(42),
      ...w32(8 + t.gap),
      ...new Array<number>(t.gap).fill(0),
      ...w16(entries.length),
      ...entries.flat(),
      ...w32(0),
    ];
  }
  const containers: Record<"jpeg" | "png" | "webp", (tiff: number[]) => number[]> = {
    jpeg: (t) => [
      0xff,
      0xd8,
      0xff,
      0xe1,
      ...u16be(t.length + 8),
      ...ascii("Exif\0\0"),
      ...t,
      0xff,
      0xda,
      0,
      2,
    ],
    png: (t) => [
      0x89,
      ...ascii("PNG\r\n\x1a\n"),
      ...u32be(13),
      ...ascii("IHDR"),
      ...new Array<number>(17).fill(0),
      ...u32be(t.length),
      ...ascii("eXIf"),
      ...t,
      0,
      0,
      0,
      0,
    ],
    webp: (t) => [
      ...ascii("RIFF"),
      ...u32le(0),
      ...ascii("WEBP"),
      ...ascii("EXIF"),
      ...u32le(t.length),
      ...t,
      ...(t.length % 2 ? [0] : []),
    ],
  };

  it("reads the orientation a generated TIFF block carries, in each container", () => {
    fc.assert(
      fc.property(fc.constantFrom("jpeg" as const, "png" as const, "webp" as const), tiff, (format, t) => {
        expect(readOrientation(new Uint8Array(containers[format](tiffBytes(t))), format)).toBe(t.orientation);
      }),
      RUNS,
    );
  });

  it("random bytes, and generated blocks with random edits, give 1..8 and never throw", () => {
    const formats: ImageFormat[] = ["jpeg", "png", "webp", "gif", "bmp"];
    const edited = fc.tuple(
      fc.constantFrom("jpeg" as const, "png" as const, "webp" as const),
      tiff,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constantFrom(...formats), fc.uint8Array({ maxLength: 200 })),
          edited.map(([f, t, edits, cut]) => {
            const b = containers[f](tiffBytes(t));
            for (const [at, v] of edits) b[at % b.length] = v;
            return [f, new Uint8Array(b.slice(0, 1 + (cut % b.length)))] as const;
          }),
        ),
        ([format, bytes]) => {
          const o = readOrientation(bytes, format);
          expect(o >= 1 && o <= 8 && Number.isInteger(o)).toBe(true);
          const block = findExifTiff(bytes, format);
          if (block) expect([1, 2, 3, 4, 5, 6, 7, 8]).toContain(orientationFromTiff(block));
        },
      ),
      RUNS,
    );
  });
});

describe("base64 image bodies", () => {
  const MAX = 300;

  it("decode exactly what Node's Buffer encoded (standard, URL-safe, data: URL, line breaks)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: MAX }),
        fc.constantFrom("plain", "url", "data", "wrapped"),
        (bytes, style) => {
          const std = Buffer.from(bytes).toString("base64");
          const text =
            style === "url"
              ? Buffer.from(bytes).toString("base64url")
              : style === "data"
                ? `data:image/png;base64,${std}`
                : style === "wrapped"
                  ? std.replace(/(.{76})/g, "$1\r\n")
                  : std;
          expect(decodeBase64Image(text, MAX)).toEqual(new Uint8Array(bytes));
        },
      ),
      RUNS,
    );
  });

  it("refuse by size before decoding: image_too_large exactly when the bytes exceed the limit", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 200 }),
        (bytes, max) => {
          const text = Buffer.from(bytes).toString("base64");
          if (bytes.length > max)
            expect(() => decodeBase64Image(text, max)).toThrow(
              expect.objectContaining({ code: "image_too_large" }),
            );
          else expect(decodeBase64Image(text, max)).toEqual(new Uint8Array(bytes));
        },
      ),
      RUNS,
    );
  });

  it("any string gives bytes or an ApiError (invalid_request, missing_image, image_too_large)", () => {
    const alphabet = fc.constantFrom(..."ABCxyz019+/-_=\r\n \t@*.:;,data".split(""));
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(alphabet, { maxLength: 80 }).map((cs) => cs.join("")),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          decodeBase64Image(t, 40);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect(["invalid_request", "missing_image", "image_too_large"]).toContain((e as ApiError).code);
        }
      }),
      RUNS,
    );
  });
});

describe("regions", () => {
  it("four <loc_> tokens are accepted exactly when every bin is 0..999 and the corners are ordered", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 1100 }), { minLength: 4, maxLength: 4 }),
        ([x1, y1, x2, y2]) => {
          const text = [x1, y1, x2, y2].map((v) => `<loc_${v}>`).join("");
          const valid = [x1, y1, x2, y2].every((v) => v! >= 0 && v! <= 999) && x1! <= x2! && y1! <= y2!;
          if (valid) expect(regionToLocText(text)).toBe(text);
          else expect(() => regionToLocText(text)).toThrow(PromptError);
        },
      ),
      RUNS,
    );
  });

  it("any text is a region or an invalid_region PromptError", () => {
    const pieces = fc.constantFrom(
      "<loc_",
      ">",
      "<",
      "0",
      "7",
      "999",
      "1000",
      "-",
      "007",
      " ",
      "loc",
      "_",
      "<loc_5>",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(pieces, { maxLength: 16 }).map((p) => p.join("")),
        ),
        (text) => {
          try {
            expect(regionToLocText(text)).toBe(text);
          } catch (e) {
            expect(e).toBeInstanceOf(PromptError);
            expect((e as PromptError).code).toBe("invalid_region");
          }
        },
      ),
      RUNS,
    );
  });

  it("a pixel box written as text (query or form) is read back as the numbers written", () => {
    const config = configFromVars({});
    const coord = fc.oneof(
      fc.integer({ min: -10_000, max: 10_000 }),
      fc.double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }),
    );
    const spaces = fc.constantFrom("", " ", "  ");
    fc.assert(
      fc.property(
        fc.array(coord, { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        spaces,
        ([a, b, c, d], brackets, sp) => {
          // (+0 for -0: a written "-0" and "0" are the same coordinate.)
          const box = [Math.min(a!, c!), Math.min(b!, d!), Math.max(a!, c!), Math.max(b!, d!)].map(
            (v) => v + 0,
          );
          const text = `${brackets ? "[" : ""}${box.map(String).join(`,${sp}`)}${brackets ? "]" : ""}`;
          expect(analysisOptions({ task: "region-to-category", text_input: text }, config).textInput).toEqual(
            box,
          );
        },
      ),
      RUNS,
    );
  });
});

describe("the bounded body reader", () => {
  it("returns the concatenated chunks, or image_too_large exactly when they exceed the limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 300 }),
        async (chunks, max) => {
          const stream = new ReadableStream<Uint8Array>({
            start(c) {
              for (const chunk of chunks) c.enqueue(chunk);
              c.close();
            },
          });
          const total = chunks.reduce((n, c) => n + c.length, 0);
          if (total > max)
            await expect(readBounded(stream, max)).rejects.toMatchObject({ code: "image_too_large" });
          else expect(await readBounded(stream, max)).toEqual(new Uint8Array(Buffer.concat(chunks)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("the feature-cache codec", () => {
  it("random bytes and random bytes behind the magic are refused with a reason, never thrown", async () => {
    const magic = fc
      .uint8Array({ maxLength: 300 })
      .map((rest) => new Uint8Array([...ascii("FEFT"), ...rest]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), magic), async (bytes) => {
        const got = await decodeFeatures(bytes, "features/v1/m/px1/abc");
        expect(got.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
