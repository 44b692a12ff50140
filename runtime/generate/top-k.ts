/**
 * Partial selection of the k best (beam, token) candidates over `numBeams * vocabSize` without materialising
 * or sorting that array: one pass, a sorted buffer of k entries, and a threshold test that rejects almost
 * every element (k = 2 * numBeams is tiny next to the 51289-token vocabulary).
 *
 * A candidate's score is `float32(logprob[row][token] + beamScore[beam])`, the sum torch forms in float32.
 * Ties keep the lower flat index (beam-major) first; torch.topk leaves tie order unspecified.
 */
export class TopCandidates {
  readonly score: Float32Array;
  readonly beam: Int32Array;
  readonly token: Int32Array;
  count = 0;

  constructor(readonly k: number) {
    this.score = new Float32Array(k);
    this.beam = new Int32Array(k);
    this.token = new Int32Array(k);
  }

  /**
   * @param logprobs row-major `[rows, vocabSize]`
   * @param beamScores one running score per beam
   * @param rowOfBeam which logprobs row scores beam b (all beams share row 0 on the first step)
   */
  select(
    logprobs: Float32Array,
    vocabSize: number,
    beamScores: Float32Array,
    rowOfBeam: (b: number) => number,
  ): void {
    this.count = 0;
    for (let b = 0; b < beamScores.length; b++) {
      const offset = rowOfBeam(b) * vocabSize;
      const base = beamScores[b]!;
      for (let t = 0; t < vocabSize; t++) {
        const s = Math.fround(logprobs[offset + t]! + base);
        // Full buffer: only strictly better candidates enter (ties keep the earlier index).
        if (this.count === this.k && !(s > this.score[this.k - 1]!)) continue;
        if (Number.isNaN(s)) continue;
        this.insert(s, b, t);
      }
    }
  }

  private insert(s: number, b: number, t: number): void {
    let i = this.count < this.k ? this.count++ : this.k - 1;
    // Shift worse entries down; stop behind an equal score so earlier indices stay ahead.
    while (i > 0 && this.score[i - 1]! < s) {
      this.score[i] = this.score[i - 1]!;
      this.beam[i] = this.beam[i - 1]!;
      this.token[i] = this.token[i - 1]!;
      i--;
    }
    this.score[i] = s;
    this.beam[i] = b;
    this.token[i] = t;
  }
}
