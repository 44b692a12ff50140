// Diversity statistics of a set of greedy generations (one per image × task).
import type { Generation } from "./greedy";

export interface TokenClasses {
  /** First id of the Florence-2 added tokens; `<loc_0>` is firstAdded + 4. */
  firstAdded: number;
}

export const isLoc = (id: number, c: TokenClasses) => id >= c.firstAdded + 4 && id < c.firstAdded + 1004;
/** A BPE word piece: neither a BART special (0–3), `<mask>`, nor an added token. */
export const isWord = (id: number, c: TokenClasses) => id > 3 && id < c.firstAdded - 1;

export interface Run {
  image: string;
  task: string;
  gen: Generation;
}

export interface Summary {
  /** Mean distinct tokens per generation (forced `<s>` and `</s>` excluded). */
  distinct: number;
  /** Mean generated length (same exclusions). */
  length: number;
  locShare: number;
  wordShare: number;
  /** Generations that ended with `</s>`, and their steps. */
  eosSteps: number[];
  /** Mean longest run of one repeated token. */
  longestRun: number;
  /** Over pairs of runs with the same task and different images: share of the first 30 positions that differ. */
  imageDiff: number;
  /** Over pairs with the same image and different tasks. */
  taskDiff: number;
  /** Share of all generated tokens taken by the most frequent one (a "hub" the dynamics keep returning to). */
  topShare: number;
  meanTopProb: number;
  maxAbs: number;
}

const body = (g: Generation) => g.tokens.filter((t, i) => !(i === 0 && t === 0) && t !== 2);

function positionDiff(a: readonly number[], b: readonly number[], n = 30): number {
  let diff = 0;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) diff++;
  return diff / n;
}

function longestRun(t: readonly number[]): number {
  let best = 0;
  let run = 0;
  t.forEach((v, i) => {
    run = i > 0 && t[i - 1] === v ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function pairDiffs(runs: readonly Run[], same: (a: Run, b: Run) => boolean): number[] {
  const out: number[] = [];
  runs.forEach((a, i) =>
    runs.slice(i + 1).forEach((b) => same(a, b) && out.push(positionDiff(a.gen.tokens, b.gen.tokens))),
  );
  return out;
}

function counts(xs: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

export function summarize(runs: readonly Run[], c: TokenClasses): Summary {
  const bodies = runs.map((r) => body(r.gen));
  const all = bodies.flat();
  return {
    distinct: mean(bodies.map((b) => new Set(b).size)),
    length: mean(bodies.map((b) => b.length)),
    locShare: all.filter((t) => isLoc(t, c)).length / all.length,
    wordShare: all.filter((t) => isWord(t, c)).length / all.length,
    eosSteps: runs.flatMap((r) => (r.gen.eosStep !== undefined ? [r.gen.eosStep] : [])),
    longestRun: mean(bodies.map(longestRun)),
    imageDiff: mean(pairDiffs(runs, (a, b) => a.task === b.task && a.image !== b.image)),
    taskDiff: mean(pairDiffs(runs, (a, b) => a.image === b.image && a.task !== b.task)),
    topShare: Math.max(...counts(all).values()) / all.length,
    meanTopProb: mean(runs.map((r) => r.gen.meanTopProb)),
    maxAbs: Math.max(...runs.map((r) => r.gen.maxAbs)),
  };
}

export function formatSummary(s: Summary, runs: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return [
    `distinct ${s.distinct.toFixed(1)}/${s.length.toFixed(1)}`,
    `loc ${pct(s.locShare)}`,
    `word ${pct(s.wordShare)}`,
    `eos ${s.eosSteps.length}/${runs}${s.eosSteps.length ? ` @${s.eosSteps.join(",")}` : ""}`,
    `run ${s.longestRun.toFixed(1)}`,
    `hub ${pct(s.topShare)}`,
    `Δimage ${pct(s.imageDiff)}`,
    `Δtask ${pct(s.taskDiff)}`,
    `p̄ ${s.meanTopProb.toFixed(2)}`,
    `max|x| ${s.maxAbs.toPrecision(3)}`,
  ].join("  ");
}

/** `<loc_12>` as L12, added tokens by name, words by id (short enough to eyeball 30 of them). */
export function showTokens(tokens: readonly number[], c: TokenClasses, n = 30): string {
  return tokens
    .slice(0, n)
    .map((t) =>
      isLoc(t, c) ? `L${t - c.firstAdded - 4}` : t >= c.firstAdded ? `A${t - c.firstAdded}` : String(t),
    )
    .join(" ");
}
