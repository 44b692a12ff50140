// BART attention as Florence-2's language model runs it (FLORENCE2-ARCHITECTURE.md §3): four biased
// projections, q scaled by head_dim^-0.5 AFTER its bias, additive masks, softmax over keys, heads
// concatenated in head order. Returns the K/V it attended over ([B, heads, S, head_dim], unscaled): those
// are the decoder's `present.*` outputs.
import type { TextExporter } from "./text-exporter";

export interface AttentionSpec {
  /** State-dict prefix, e.g. `language_model.model.decoder.layers.0.self_attn`. */
  module: string;
  /** Query source [B, T, d]. */
  x: string;
  /** Key/value source [B, S, d], projected by k_proj/v_proj. Omitted when `cached` is given. */
  kv?: string;
  /** Cross-attention K/V already projected ([B, h, S, hd]): the with-past decoder reads them from its inputs. */
  cached?: { key: string; value: string };
  /** Self-attention cache to prepend (concat on the sequence axis). */
  past?: { key: string; value: string };
  /** Additive mask broadcastable to [B, h, T, S]. */
  mask: string;
  dModel: number;
  heads: number;
  std: number;
}

export interface AttentionOut {
  out: string;
  key: string;
  value: string;
}

export function attention(e: TextExporter, s: AttentionSpec): AttentionOut {
  const hd = s.dModel / s.heads;
  const split = (v: string) => e.transpose(e.reshape(v, [0, 0, s.heads, hd]), [0, 2, 1, 3]);
  const proj = (x: string, name: string) => e.linearT(x, `${s.module}.${name}`, s.dModel, s.dModel, s.std);

  const q = split(e.op("Mul", [proj(s.x, "q_proj"), e.scalar(hd ** -0.5)], {}, `/${s.module}/Mul`));
  let key: string;
  let value: string;
  if (s.cached) {
    ({ key, value } = s.cached);
  } else {
    if (!s.kv) throw new Error(`${s.module}: attention needs kv or cached K/V`);
    key = split(proj(s.kv, "k_proj"));
    value = split(proj(s.kv, "v_proj"));
  }
  if (s.past) {
    key = e.op("Concat", [s.past.key, key], { axis: 2 }, `/${s.module}/Concat`);
    value = e.op("Concat", [s.past.value, value], { axis: 2 }, `/${s.module}/Concat_1`);
  }
  const scores = e.add(e.matmul(q, e.transpose(key, [0, 1, 3, 2])), s.mask);
  const ctx = e.matmul(e.softmax(scores, -1), value);
  const merged = e.reshape(e.transpose(ctx, [0, 2, 1, 3]), [0, 0, s.dModel]);
  return { out: proj(merged, "out_proj"), key, value };
}
