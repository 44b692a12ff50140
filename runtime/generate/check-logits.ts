/** A stepper returning the wrong amount of logits would silently mis-score every beam: fail loudly instead. */
export function checkLogits(logits: Float32Array, rows: number, vocabSize: number): void {
  if (logits.length !== rows * vocabSize) {
    throw new Error(`decoder step returned ${logits.length} logits, expected ${rows} x ${vocabSize}`);
  }
}
