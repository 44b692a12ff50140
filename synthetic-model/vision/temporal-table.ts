// The cosine temporal embedding table (a fixed buffer): row t holds sin(t·ω_k), cos(t·ω_k) interleaved, with
// ω_k = 10000^(−2k/D). Florence-2 feeds one frame, so only row 0 = [0, 1, 0, 1, …] is ever read.
export function cosineTemporalTable(rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let t = 0; t < rows; t++) {
    for (let k = 0; 2 * k < dim; k++) {
      const angle = t * Math.pow(10000, (-2 * k) / dim);
      out[t * dim + 2 * k] = Math.sin(angle);
      if (2 * k + 1 < dim) out[t * dim + 2 * k + 1] = Math.cos(angle);
    }
  }
  return out;
}
