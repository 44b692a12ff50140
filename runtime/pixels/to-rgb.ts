/**
 * PIL's `Image.convert("RGB")`, given the decoder's 8-bit RGBA output.
 *
 * What PIL does per source mode (checked against Pillow 9.4 in scripts/pil-compare):
 *   L, 1, L;2, L;4 → grey replicated into R, G and B (photon's decoder expands the same way);
 *   LA             → L replicated, alpha dropped;
 *   RGBA, RGBa     → alpha dropped, no compositing onto any background;
 *   P (+tRNS)      → palette colours looked up, transparency ignored (a transparent pixel keeps its
 *                    palette colour);
 *   CMYK (JPEG)    → inverted-CMYK to RGB (decoder-dependent, see the pil-compare report).
 * So for every mode the decoder gives us as RGBA, "convert to RGB" is "drop the alpha byte".
 * Not reproduced: PIL opens 16-bit greyscale PNGs as mode "I" and clips values above 255 when
 * converting, turning most such images white; photon scales 16 → 8 bits instead.
 */
import type { PixelView } from "./pixel-view";

/** Copy the 3 colour channels of a view (any orientation, RGB or RGBA underneath) into packed RGB. */
export function viewToRgb(v: PixelView): Uint8Array {
  const { data, width, height, offset, xStride, yStride } = v;
  const out = new Uint8Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    let p = offset + y * yStride;
    for (let x = 0; x < width; x++, p += xStride) {
      out[o++] = data[p]!;
      out[o++] = data[p + 1]!;
      out[o++] = data[p + 2]!;
    }
  }
  return out;
}

/** Packed RGBA → packed RGB, alpha dropped (PIL's RGBA → RGB). */
export function rgbaToRgb(rgba: Uint8Array): Uint8Array {
  const n = rgba.length >>> 2;
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += 4, o += 3) {
    out[o] = rgba[p]!;
    out[o + 1] = rgba[p + 1]!;
    out[o + 2] = rgba[p + 2]!;
  }
  return out;
}
