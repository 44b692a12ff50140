/**
 * The one thing the decoding loop needs from a model: run the decoder one token further for every live row and
 * hand back next-token logits. The loop knows nothing about ONNX, sessions or tensors; engines implement this.
 *
 * Rows. The stepper holds `rows` decoder states (one per live beam; 1 for greedy). The first `step` call
 * (the decoder start token) is made with ONE row even for beam search: all beams are identical at that point,
 * so the loop scores them from that single row and then calls `reorder([0, 0, ..., 0])` to fan it out to
 * `numBeams` rows. After that `tokens.length === numBeams` on every call.
 *
 * Caches. Each row owns its self-attention K/V cache (it grows by one position per `step`). The cross-attention
 * K/V (projected encoder output) is the same for every beam of one request: implementations compute it once
 * and share it; `reorder` never needs to touch it — only the per-row self-attention caches move.
 */
export interface DecoderStepper {
  /** Vocabulary size: each `step` returns `tokens.length * vocabSize` logits. */
  readonly vocabSize: number;

  /**
   * Feed one new token per row and return the next-token logits, row-major `[tokens.length, vocabSize]`.
   * The loop processes the returned array IN PLACE (log-softmax, logits processors) to avoid copying
   * vocabulary-sized buffers: implementations must not read it again after returning it, and may reuse the
   * same buffer on the next call.
   */
  step(tokens: Int32Array): Promise<Float32Array>;

  /**
   * After beam selection: new row `i` continues old row `sourceRows[i]` (rows may be duplicated or dropped, and
   * the row count may change, e.g. 1 → numBeams after the first step). Only called when the mapping is not
   * the identity, and never after the final step.
   */
  reorder(sourceRows: readonly number[]): void | Promise<void>;
}
