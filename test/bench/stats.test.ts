// Percentiles against NumPy's default (linear interpolation, `np.percentile(x, q)`); values worked by hand.
import { describe, expect, it } from "vitest";
import { medianFields, quantile, steadyRate, summarize } from "../../bench/e2e/stats";

describe("quantile (NumPy 'linear')", () => {
  it("matches np.percentile on small samples", () => {
    // np.percentile([1, 2, 3, 4], [50, 90]) = [2.5, 3.7]
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 12);
    // np.percentile([10, 20, 30, 40, 100], 90) = 76.0
    expect(quantile([100, 10, 40, 20, 30], 0.9)).toBeCloseTo(76, 12);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
  it("rejects q outside [0, 1]", () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
  it("summarize", () => {
    expect(summarize([3, 1, 2])).toEqual({ n: 3, p50: 2, p90: 2.8, min: 1, max: 3 });
  });
  it("medianFields skips absent fields", () => {
    expect(medianFields<"a" | "b">([{ a: 1 }, { a: 3, b: 5 }, { a: 2 }], ["a", "b"])).toEqual({ a: 2, b: 5 });
  });
});

describe("steadyRate", () => {
  it("counts steps after the first over their span", () => {
    // 5 steps finishing at 100, 150, 200, 250, 300 ms: 4 steps in 200 ms = 20 tokens/s.
    expect(steadyRate([100, 150, 200, 250, 300])).toBeCloseTo(20, 12);
    expect(steadyRate([100])).toBeUndefined();
  });
});
