// Percentiles of repeated timings. The machine is shared, so a benchmark reports medians and the 90th
// percentile, never means (one preempted run would move a mean by seconds).
import type { Summary } from "./types";

/**
 * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between closest ranks (NumPy's default "linear"
 * method, R type 7): position q·(n−1) in the sorted samples.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} outside [0, 1]`);
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    p50: quantile(xs, 0.5),
    p90: quantile(xs, 0.9),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Medians of named fields over records that may lack some of them. */
export function medianFields<K extends string>(
  records: readonly Partial<Record<K, number | undefined>>[],
  keys: readonly K[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const vals = records.map((r) => r[k]).filter((v): v is number => typeof v === "number");
    if (vals.length) out[k] = median(vals);
  }
  return out;
}

/**
 * Decoder rate in steady state from the times at which each step finished: (steps − 1) / (last − first).
 * The first step is excluded because it also computes the cross-attention keys/values over the encoder output.
 */
export function steadyRate(stepTimesMs: readonly number[]): number | undefined {
  if (stepTimesMs.length < 2) return undefined;
  const span = stepTimesMs[stepTimesMs.length - 1]! - stepTimesMs[0]!;
  return span > 0 ? ((stepTimesMs.length - 1) * 1000) / span : undefined;
}
