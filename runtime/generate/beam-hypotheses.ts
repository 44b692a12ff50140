import type { EarlyStopping } from "./config";

export interface Hypothesis {
  /** Normalised score: sum of log-probabilities / generatedLength ** lengthPenalty. */
  score: number;
  /** The tokens before the EOS (EOS is appended by `finishBeamSearch`). */
  tokens: number[];
}

/**
 * The n-best list of finished hypotheses, with the semantics of HF `BeamHypotheses` (transformers 4.36–4.49):
 * `generatedLength` counts from after the decoder prompt and includes the EOS being added, and `isDone`
 * implements the three `early_stopping` modes.
 */
export class BeamHypotheses {
  readonly beams: Hypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: EarlyStopping,
    private readonly maxLength: number,
    private readonly promptLength: number,
  ) {}

  add(tokens: number[], sumLogprobs: number, generatedLength: number): void {
    const score = sumLogprobs / generatedLength ** this.lengthPenalty;
    if (this.beams.length >= this.numBeams && !(score > this.worstScore)) return;
    this.beams.push({ score, tokens });
    if (this.beams.length > this.numBeams) {
      // Drop the worst (the earliest added among equals, as HF's sort on (score, index) does); the next worst
      // becomes the bar to beat.
      let worst = 0;
      for (let i = 1; i < this.beams.length; i++)
        if (this.beams[i]!.score < this.beams[worst]!.score) worst = i;
      this.beams.splice(worst, 1);
      this.worstScore = this.beams.reduce((min, h) => Math.min(min, h.score), Infinity);
    } else {
      this.worstScore = Math.min(score, this.worstScore);
    }
  }

  /**
   * @param bestSumLogprobs the best candidate score of this step (EOS candidates included, as in HF)
   * @param curLength the sequence length those candidates reach (prefix + new token)
   */
  isDone(bestSumLogprobs: number, curLength: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    // false: heuristic bound from the current length; "never": the true bound (max_length when lp > 0).
    const length =
      this.earlyStopping === "never" && this.lengthPenalty > 0
        ? this.maxLength - this.promptLength
        : curLength - this.promptLength;
    return this.worstScore >= bestSumLogprobs / length ** this.lengthPenalty;
  }

  /** The best hypothesis; the last added among equal scores (HF pops the end of a stable ascending sort). */
  best(): Hypothesis | undefined {
    let best: Hypothesis | undefined;
    for (const h of this.beams) if (best === undefined || h.score >= best.score) best = h;
    return best;
  }
}
