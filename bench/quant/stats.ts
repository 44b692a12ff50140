// Small numeric helpers shared by the quantization benchmarks: robust timing and error measures.

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /** (max − min) / median: how noisy the repeats were (the machine is shared). */
  spread: number;
}

export function summarise(ms: readonly number[]): Timing {
  const med = median(ms);
  const min = Math.min(...ms);
  const max = Math.max(...ms);
  return { medianMs: med, minMs: min, maxMs: max, runs: ms.length, spread: (max - min) / med };
}

/** Times `fn` after `warmup` calls: at least `minRuns` runs and `minMs` of work, at most `maxRuns`. */
export async function timeIt(
  fn: () => Promise<unknown>,
  opts: { warmup?: number; minRuns?: number; maxRuns?: number; minMs?: number } = {},
): Promise<Timing> {
  const { warmup = 1, minRuns = 5, maxRuns = 40, minMs = 1500 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < maxRuns && (ms.length < minRuns || performance.now() - start < minMs)) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return summarise(ms);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
}

/** max |a − b| / max |b|: the largest error relative to the reference's scale (robust to near-zero elements). */
export function maxRelError(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? err : err / scale;
}

export function isoDate(): string {
  return new Date().toISOString().slice(0, 10);
}
