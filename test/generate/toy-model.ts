import type { DecoderStepper } from "../../runtime/generate";
import { mulberry32 } from "../helpers/mulberry32";

/** A toy language model: raw next-token logits as a function of the whole prefix (decoder start included). */
export type ToyModel = (prefix: readonly number[]) => Float32Array;

/** Toy vocabulary sharing Florence-2's special ids. */
export const BOS = 0;
export const PAD = 1;
export const EOS = 2;
export const A = 3;
export const B = 4;
export const C = 5;
export const D = 6;

/**
 * Table-driven model: `table["2,0,3"]` gives next-token probabilities after prefix [2, 0, 3] as
 * `{ token: probability }`; the logits are their natural logs, so log-softmax gives them back exactly
 * (unlisted tokens get `rest` of the remaining mass, spread evenly). Unlisted prefixes use `fallback`.
 */
export function tableModel(
  vocabSize: number,
  table: Record<string, Record<number, number>>,
  fallback: Record<number, number> = { [EOS]: 0.9 },
): ToyModel {
  return (prefix) => {
    const probs = table[prefix.join(",")] ?? fallback;
    const listed = Object.entries(probs).map(([t, p]) => [Number(t), p] as const);
    const mass = listed.reduce((s, [, p]) => s + p, 0);
    const unlisted = vocabSize - listed.length;
    const restEach = unlisted > 0 ? Math.max(1 - mass, 1e-6) / unlisted : 0;
    const logits = new Float32Array(vocabSize).fill(Math.log(restEach));
    for (const [t, p] of listed) logits[t] = Math.log(p);
    return logits;
  };
}

/** Deterministic pseudo-random model: logits in [-spread, spread] hashed from (seed, prefix). */
export function randomModel(vocabSize: number, seed: number, spread = 3): ToyModel {
  return (prefix) => {
    let h = (2166136261 ^ seed) >>> 0;
    for (const t of prefix) h = Math.imul(h ^ (t + 1), 16777619) >>> 0;
    const next = mulberry32(h);
    return Float32Array.from({ length: vocabSize }, () => (next() * 2 - 1) * spread);
  };
}

/**
 * A stepper over a toy model that keeps its own per-row token history as its "KV cache": logits come from
 * that history, never from the loop's bookkeeping, so a wrong `reorder` produces wrong logits. Records every
 * call for the tests.
 */
export class ToyStepper implements DecoderStepper {
  rows: number[][] = [];
  readonly stepInputs: number[][] = [];
  readonly reorders: number[][] = [];
  /** Row histories right after each step (what the cache holds). */
  readonly histories: number[][][] = [];

  constructor(
    private readonly model: ToyModel,
    readonly vocabSize: number,
  ) {}

  async step(tokens: Int32Array): Promise<Float32Array> {
    if (this.rows.length === 0) this.rows = Array.from(tokens, () => []);
    if (tokens.length !== this.rows.length) {
      throw new Error(`step with ${tokens.length} tokens but the cache holds ${this.rows.length} rows`);
    }
    this.stepInputs.push([...tokens]);
    tokens.forEach((t, i) => this.rows[i]!.push(t));
    this.histories.push(this.rows.map((r) => [...r]));
    const out = new Float32Array(tokens.length * this.vocabSize);
    this.rows.forEach((r, i) => out.set(this.model(r), i * this.vocabSize));
    return out;
  }

  reorder(sourceRows: readonly number[]): void {
    this.reorders.push([...sourceRows]);
    this.rows = sourceRows.map((s) => {
      const row = this.rows[s];
      if (row === undefined) throw new Error(`reorder from missing row ${s}`);
      return [...row];
    });
  }
}
