// DaViT channel (group) attention (ChannelBlock): x + proj(attention across channels within each group of
// LN(x)). Per group the attention matrix is d×d (d = C/G): A = softmax_j(qᵀ·k / √N) contracts over the N
// tokens, and y = (A·vᵀ)ᵀ. The scale uses the token count N, read from the shape at run time (the remote code
// computes float(N) ** -0.5), so it stays right at every input size.
import type { Exporter } from "../export-ops";
import { DataType } from "../export-ops";
import type { BlockSpec } from "./block-parts";
import { divConst, dimsOf, type TokenMap } from "./shapes";

export function channelAttention(ex: Exporter, t: TokenMap, s: BlockSpec): TokenMap {
  const p = `${s.prefix}.channel_attn`;
  const c = s.channels;
  const x = ex.layerNorm(t.x, `${p}.norm`, c);
  const [b, n, ch] = dimsOf(ex, x, [0, 1, 2]);
  const qkv = ex.linear(x, `${p}.fn.qkv`, c, 3 * c, s.linearStd);
  // (B, N, 3, G, d) → (3, B, G, N, d)
  const qkv5 = ex.reshape(qkv, ex.shapeOf([b!, n!, ex.ints([3, s.heads]), divConst(ex, ch!, s.heads)]));
  const groups = ex.transpose(qkv5, [2, 0, 3, 1, 4]);
  const [q, k, v] = [0, 1, 2].map((i) => ex.op("Gather", [groups, ex.scalarInt(i)], { axis: 0 }));
  const nFloat = ex.op("Cast", [n!], { to: DataType.FLOAT });
  const scale = ex.op("Pow", [nFloat, ex.scalar(-0.5)]);
  const qs = ex.mul(q!, scale);
  // (B, G, d, N)·(B, G, N, d) → (B, G, d, d), softmax over the key-channel axis.
  const attn = ex.softmax(ex.matmul(ex.transpose(qs, [0, 1, 3, 2]), k!), -1);
  // (A·vᵀ)ᵀ: (B, G, d, N) → (B, G, N, d) → (B, N, G, d) → (B, N, C).
  const av = ex.matmul(attn, ex.transpose(v!, [0, 1, 3, 2]));
  const y = ex.transpose(ex.transpose(av, [0, 1, 3, 2]), [0, 2, 1, 3]);
  const merged = ex.reshape(y, ex.shapeOf([b!, n!, ch!]));
  const proj = ex.linear(merged, `${p}.fn.proj`, c, c, s.linearStd);
  return { ...t, x: ex.op("Add", [t.x, proj], {}, `/${p}/Add`) };
}
