/**
 * PIL's canvas for a GIF's first frame when that frame does not cover the whole logical screen.
 *
 * PIL (9.x–11.x, GifImagePlugin.load_prepare) creates the frame-0 canvas filled with the frame's
 * transparency index if it has one, else with index 0, and then paints the frame; converting to RGB
 * looks those indices up in the frame's palette (local, else global). photon leaves the area outside
 * the frame as (0, 0, 0, 0). This module finds the first frame's rectangle and PIL's fill colour so
 * the decode step can repaint that area.
 */

export interface GifFirstFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  /** RGB that PIL shows outside the frame rectangle. */
  fill: [number, number, number];
}

/** First image descriptor and PIL's fill colour, or null when the stream is not walkable that far. */
export function gifFirstFrame(b: Uint8Array): GifFirstFrame | null {
  if (b.length < 13) return null;
  const screenFlags = b[10]!;
  let i = 13;
  let globalPalette: Uint8Array | null = null;
  if (screenFlags & 0x80) {
    const n = 3 << ((screenFlags & 7) + 1);
    if (i + n > b.length) return null;
    globalPalette = b.subarray(i, i + n);
    i += n;
  }
  let transparency: number | null = null;
  while (i < b.length) {
    const block = b[i]!;
    if (block === 0x21) {
      // Extension: label, then data sub-blocks until a zero-length one.
      if (i + 2 > b.length) return null;
      const label = b[i + 1]!;
      i += 2;
      if (label === 0xf9 && i + 5 <= b.length && b[i] === 4) {
        transparency = b[i + 1]! & 1 ? b[i + 4]! : null; // graphic control extension
      }
      while (i < b.length && b[i] !== 0) i += b[i]! + 1;
      i++;
    } else if (block === 0x2c) {
      if (i + 10 > b.length) return null;
      const u16 = (k: number): number => b[i + k]! | (b[i + k + 1]! << 8);
      const flags = b[i + 9]!;
      let palette = globalPalette;
      if (flags & 0x80) {
        const n = 3 << ((flags & 7) + 1);
        if (i + 10 + n > b.length) return null;
        palette = b.subarray(i + 10, i + 10 + n);
      }
      const index = transparency ?? 0;
      const fill: [number, number, number] =
        palette === null
          ? [index, index, index] // no palette: PIL opens the frame as greyscale "L"
          : [palette[index * 3] ?? 0, palette[index * 3 + 1] ?? 0, palette[index * 3 + 2] ?? 0];
      return { left: u16(1), top: u16(3), width: u16(5), height: u16(7), fill };
    } else {
      return null; // trailer or garbage before any frame
    }
  }
  return null;
}

/** Repaint every pixel of the RGBA canvas outside the first frame's rectangle with PIL's fill colour. */
export function fillOutsideGifFrame(rgba: Uint8Array, width: number, height: number, f: GifFirstFrame): void {
  const x0 = Math.min(f.left, width);
  const y0 = Math.min(f.top, height);
  const x1 = Math.min(f.left + f.width, width);
  const y1 = Math.min(f.top + f.height, height);
  if (x0 === 0 && y0 === 0 && x1 === width && y1 === height) return;
  const [r, g, b] = f.fill;
  for (let y = 0; y < height; y++) {
    const inside = y >= y0 && y < y1;
    for (let x = 0; x < width; x++) {
      if (inside && x >= x0 && x < x1) continue;
      const p = (y * width + x) * 4;
      rgba[p] = r;
      rgba[p + 1] = g;
      rgba[p + 2] = b;
      rgba[p + 3] = 255;
    }
  }
}
