// Symmetric per-channel int8 quantization of weight matrices: one fp32 scale per channel, zero point 0,
// values in [-127, 127] (the -128 code is left unused so that the range is symmetric and negation is exact).
// Rounding is half-to-even, as ONNX QuantizeLinear does, so DequantizeLinear(q, scale) of our output equals
// ONNX's own quantize-dequantize of the same weights.

export interface Int8PerChannel {
  q: Int8Array;
  scales: Float32Array;
}

/** Round half to even (banker's rounding), as ONNX QuantizeLinear specifies. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; step back to the even neighbour on exact ties.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes a row-major [rows × cols] matrix. `axis` is the channel axis: 1 gives one scale per column (a
 * MatMul weight stored in × out: per output channel), 0 one scale per row (an embedding table: per token; a
 * Conv weight viewed as [out channels × rest]).
 */
export function quantizeInt8(w: Float32Array, rows: number, cols: number, axis: 0 | 1): Int8PerChannel {
  if (w.length !== rows * cols)
    throw new Error(`quantizeInt8: ${w.length} values do not fill ${rows}×${cols}`);
  const channels = axis === 1 ? cols : rows;
  const maxAbs = new Float32Array(channels);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(w[base + c]!);
      const ch = axis === 1 ? c : r;
      if (a > maxAbs[ch]!) maxAbs[ch] = a;
    }
  }
  // fp32 scales (what the graph stores); an all-zero channel gets scale 1 so that dequantization stays finite.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      // The division is rounded to fp32 first, as an fp32 QuantizeLinear kernel computes it.
      const v = roundHalfEven(Math.fround(w[base + c]! / scales[axis === 1 ? c : r]!));
      q[base + c] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
  return { q, scales };
}

/** The fp32 values that q · scale reconstructs (for error measurements and tests). */
export function dequantizeInt8(p: Int8PerChannel, rows: number, cols: number, axis: 0 | 1): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = p.q[r * cols + c]! * p.scales[axis === 1 ? c : r]!;
  }
  return out;
}
