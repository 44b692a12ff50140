import type { BeamHypotheses } from "./beam-hypotheses";
import type { TopCandidates } from "./top-k";

export interface BeamState {
  /** Token sequences of the running beams, each starting with the decoder start token. */
  sequences: number[][];
  /** Running sums of log-probabilities (float32, as torch keeps them). */
  scores: Float32Array;
  /** Beam each new running beam continues (for the stepper's cache). */
  sources: number[];
  /** The token each running beam just appended (fed to the next decoder step). */
  tokens: Int32Array;
}

/**
 * One HF `BeamSearchScorer.process` over the ranked candidates: an EOS candidate ranked among the top
 * numBeams finishes its beam as a hypothesis (length counted with the EOS, after the decoder prompt);
 * every other candidate, best first, becomes a running beam until numBeams are filled.
 * Returns whether the search is done (`BeamHypotheses.isDone`).
 */
export function advanceBeams(
  state: BeamState,
  top: TopCandidates,
  hypotheses: BeamHypotheses,
  eosTokenId: number,
  promptLength: number,
): boolean {
  const numBeams = state.scores.length;
  const previous = state.sequences;
  const curLength = previous[0]!.length + 1;
  const sequences: number[][] = [];
  let filled = 0;
  for (let rank = 0; rank < top.count && filled < numBeams; rank++) {
    const beam = top.beam[rank]!;
    const token = top.token[rank]!;
    if (token === eosTokenId) {
      if (rank < numBeams) hypotheses.add(previous[beam]!, top.score[rank]!, curLength - promptLength);
      continue;
    }
    sequences.push([...previous[beam]!, token]);
    state.scores[filled] = top.score[rank]!;
    state.sources[filled] = beam;
    state.tokens[filled] = token;
    filled++;
  }
  // 2 * numBeams candidates hold at most numBeams EOS (one per beam), so this cannot happen with vocab >= 2.
  if (filled < numBeams) throw new Error("beam search: fewer non-EOS candidates than beams");
  state.sequences = sequences;
  return hypotheses.isDone(top.score[0]!, curLength);
}
