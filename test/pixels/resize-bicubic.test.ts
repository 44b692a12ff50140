import { describe, expect, it } from "vitest";
import {
  interleavedView,
  orientView,
  precomputeCoeffs,
  resizeBicubic,
  resizeBicubicView,
} from "../../runtime/pixels";
import { golden, sha256 } from "./helpers";
import { synth } from "./synth";

describe("resizeBicubic equals PIL Image.resize(BICUBIC) bit for bit", () => {
  for (const c of golden.synthResize) {
    it(`${c.w}x${c.h} -> ${c.outW}x${c.outH}`, () => {
      const out = resizeBicubic(synth(c.w, c.h), c.w, c.h, c.outW, c.outH);
      expect(out.length).toBe(c.outW * c.outH * 3);
      expect(sha256(out)).toBe(c.sha256);
    });
  }
});

describe("resizeBicubicView", () => {
  it("reads RGBA through a view exactly as it reads the RGB it contains", () => {
    const w = 53;
    const h = 41;
    const rgb = synth(w, h);
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = (i * 37) & 255; // alpha must be ignored
    }
    const a = resizeBicubic(rgb, w, h, 90, 17);
    const b = resizeBicubicView(interleavedView(rgba, w, h, 4), 90, 17);
    expect(sha256(b)).toBe(sha256(a));
  });

  it("an oriented view swaps the output axes for orientations 5..8", () => {
    const v = orientView(interleavedView(synth(30, 20), 30, 20, 3), 6);
    expect([v.width, v.height]).toEqual([20, 30]);
    expect(resizeBicubicView(v, 7, 9).length).toBe(7 * 9 * 3);
  });

  it("rejects bad sizes", () => {
    expect(() => resizeBicubic(synth(4, 4), 4, 4, 0, 5)).toThrow(RangeError);
    expect(() => resizeBicubic(synth(4, 4), 4, 4, 2.5, 5)).toThrow(RangeError);
    expect(() => resizeBicubic(new Uint8Array(10), 4, 4, 2, 2)).toThrow(RangeError);
  });
});

describe("precomputeCoeffs", () => {
  it("each window's fixed-point weights sum to 1.0 within rounding, and stay inside the source", () => {
    for (const [inSize, outSize] of [
      [4000, 768],
      [5, 768],
      [768, 768],
      [1000, 3],
    ] as const) {
      const c = precomputeCoeffs(inSize, outSize);
      for (let i = 0; i < outSize; i++) {
        const start = c.bounds[2 * i]!;
        const taps = c.bounds[2 * i + 1]!;
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start + taps).toBeLessThanOrEqual(inSize);
        let s = 0;
        for (let k = 0; k < taps; k++) s += c.weights[i * c.ksize + k]!;
        expect(Math.abs(s - (1 << 22))).toBeLessThanOrEqual(taps);
      }
    }
  });
});
