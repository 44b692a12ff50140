// A deterministic RGB test picture (gradients, a bright rectangle, a dark disc) and the simplest Florence-2
// preprocessing of a picture that is already the model's size: rescale 1/255, normalise with the ImageNet
// mean/std, HWC → CHW (REFERENCE.md §3). No decoder or resampler involved, so no dependency on either.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** width × height × 3 bytes, row-major RGB. */
export function testPicture(width: number, height: number): Uint8ClampedArray {
  const rgb = new Uint8ClampedArray(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inRect = x > width * 0.2 && x < width * 0.55 && y > height * 0.3 && y < height * 0.7;
      const inDisc =
        (x - width * 0.75) ** 2 + (y - height * 0.4) ** 2 < (Math.min(width, height) * 0.12) ** 2;
      rgb[i] = inRect ? 240 : inDisc ? 20 : (255 * x) / width;
      rgb[i + 1] = inRect ? 220 : inDisc ? 30 : (255 * y) / height;
      rgb[i + 2] = inRect ? 40 : inDisc ? 90 : 128 + 100 * Math.sin(x / 17 + y / 23);
    }
  }
  return rgb;
}

/** RGB bytes of a size×size picture → pixel_values data, [3, size, size] float32. */
export function normalizeToChw(rgb: Uint8ClampedArray, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (rgb[p * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
  }
  return out;
}
