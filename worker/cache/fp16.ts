// float32 ⇄ IEEE 754 binary16, for the feature cache. Encoding uses the @petamoriken/float16 ponyfill
// (round-to-nearest-even, the same rounding as a native Float16Array; Node 20 has none). Decoding goes
// through a 65 536-entry table built once with bit arithmetic: the ponyfill reads element by element through
// a Proxy, ~100× slower on the 577×768 features of a cache hit.
import { Float16Array } from "@petamoriken/float16";

/** float32 values → their binary16 bit patterns (NaN stays NaN, overflow becomes ±Infinity). */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const half = new Float16Array(values);
  return new Uint16Array(half.buffer, half.byteOffset, half.length);
}

let table: Float32Array | undefined;

/** The float32 value of every binary16 bit pattern. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0)
      table[h] = sign * frac * 2 ** -24; // zero and subnormals
    else if (exp === 31) table[h] = frac === 0 ? sign * Infinity : NaN;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
}

/** binary16 bit patterns → float32 (exact: every half is representable). */
export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  return out;
}
