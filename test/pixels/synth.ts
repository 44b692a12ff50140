/**
 * Deterministic synthetic RGB image, the same formula as `synth()` in scripts/pil-compare/pil_ref.py,
 * so PIL's resize of it can be stored as a hash instead of as pixels.
 */
export function hash32(n: number): number {
  n >>>= 0;
  n = Math.imul((n >>> 16) ^ n, 0x45d9f3b) >>> 0;
  n = Math.imul((n >>> 16) ^ n, 0x45d9f3b) >>> 0;
  return ((n >>> 16) ^ n) >>> 0;
}

/** Checkered gradient in R, vertical gradient in G, hashed noise in B; packed RGB. */
export function synth(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const gx = Math.floor((x * 255) / Math.max(w - 1, 1));
      a[i] = ((x >> 3) + (y >> 3)) & 1 ? gx : 255 - gx;
      a[i + 1] = Math.floor((y * 255) / Math.max(h - 1, 1));
      a[i + 2] = hash32(y * w + x) & 255;
    }
  }
  return a;
}
