import { describe, expect, it } from "vitest";
import { probeImage, readHeader, sniffFormat } from "../../runtime/pixels";
import { fixture, golden } from "./helpers";

describe("header size without decoding", () => {
  it.each(Object.entries(golden.images))("%s: declared size equals PIL's Image.size", (name, g) => {
    const p = probeImage(fixture(name));
    expect([p.width, p.height]).toEqual([g.widthNoExif, g.heightNoExif]);
  });

  it("PNG IHDR also gives bit depth and colour type", () => {
    expect(readHeader(fixture("png_rgba.png"), "png")).toMatchObject({ pngBitDepth: 8, pngColorType: 6 });
    expect(readHeader(fixture("png_1bit.png"), "png")).toMatchObject({ pngBitDepth: 1, pngColorType: 0 });
  });
});

describe("sniffFormat", () => {
  it("goes by magic bytes only", () => {
    expect(sniffFormat(fixture("jpeg_420.jpg"))).toBe("jpeg");
    expect(sniffFormat(fixture("png_rgb.png"))).toBe("png");
    expect(sniffFormat(fixture("gif_anim.gif"))).toBe("gif");
    expect(sniffFormat(fixture("webp_lossy.webp"))).toBe("webp");
    expect(sniffFormat(fixture("bmp_24.bmp"))).toBe("bmp");
    expect(sniffFormat(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniffFormat(new Uint8Array([0x89, 0x50, 0x4e]))).toBeNull(); // a signature cut short
  });
});
