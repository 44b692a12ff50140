/**
 * A logits processor rewrites one row of next-token scores in place, given the row's tokens so far (starting
 * with the decoder start token). Greedy search applies them to raw logits, beam search to log-softmaxed
 * scores, exactly as HF `generate()` does.
 */
export type LogitsProcessor = (tokens: readonly number[], scores: Float32Array) => void;
