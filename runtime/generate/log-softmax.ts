/**
 * In-place log-softmax of one row (beam search scores tokens by log-probabilities before the processors run).
 * Accumulates in float64; the result is rounded to float32 on store, as torch keeps float32 scores.
 */
export function logSoftmaxInPlace(row: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  if (max === -Infinity) return; // all -inf: nothing is reachable, leave it so
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const logSum = Math.log(sum);
  for (let i = 0; i < row.length; i++) row[i] = row[i]! - max - logSum;
}
