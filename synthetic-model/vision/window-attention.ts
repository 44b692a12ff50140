// DaViT window attention (SpatialBlock): x + proj(MHSA within 12×12 windows of LN(x)). The normalised map is
// zero-padded on the right and bottom to multiples of the window (pad sizes computed from the shape with Mod,
// fed to Pad as an input), partitioned into windows, attended with q scaled by d^-1/2 and no mask (padded
// tokens take part as keys/values), merged back and cropped with Slice. All sizes stay dynamic.
import type { Exporter } from "../export-ops";
import type { BlockSpec } from "./block-parts";
import { divConst, dimsOf, mulInt, padToMultiple, type TokenMap } from "./shapes";

export function windowAttention(ex: Exporter, t: TokenMap, s: BlockSpec): TokenMap {
  const p = `${s.prefix}.window_attn`;
  const ws = s.windowSize;
  const c = s.channels;
  const headDim = c / s.heads;
  const x = ex.layerNorm(t.x, `${p}.norm`, c);

  // view(B, H, W, C), then F.pad(x, (0, 0, 0, pad_r, 0, pad_b)).
  const [b, ch] = dimsOf(ex, x, [0, 2]);
  const bhwc = ex.reshape(x, ex.shapeOf([b!, t.h, t.w, ch!]));
  const padR = padToMultiple(ex, t.w, ws);
  const padB = padToMultiple(ex, t.h, ws);
  const zero = ex.ints([0]);
  const pads = ex.shapeOf([zero, zero, zero, zero, zero, padB, padR, zero]);
  const padded = ex.op("Pad", [bhwc, pads, ex.scalar(0)], { mode: "constant" }, `/${p}/Pad`);

  // window_partition: (B, Hp/ws, ws, Wp/ws, ws, C) → (B, Hp/ws, Wp/ws, ws, ws, C) → (B·nW, ws·ws, C).
  const [pb, hp, wp, pc] = dimsOf(ex, padded, [0, 1, 2, 3]);
  const nh = divConst(ex, hp!, ws);
  const nw = divConst(ex, wp!, ws);
  const wsT = ex.ints([ws]);
  const split = ex.reshape(padded, ex.shapeOf([pb!, nh, wsT, nw, wsT, pc!]));
  const perm = ex.transpose(split, [0, 1, 3, 2, 4, 5]);
  const windows = ex.reshape(
    ex.reshape(perm, ex.shapeOf([ex.ints([-1]), wsT, wsT, pc!])),
    ex.shapeOf([ex.ints([-1, ws * ws]), pc!]),
  );

  // Multi-head attention inside each window.
  const [bw, nt, wc] = dimsOf(ex, windows, [0, 1, 2]);
  const qkv = ex.linear(windows, `${p}.fn.qkv`, c, 3 * c, s.linearStd);
  const qkv5 = ex.reshape(qkv, ex.shapeOf([bw!, nt!, ex.ints([3, s.heads]), divConst(ex, wc!, s.heads)]));
  const heads = ex.transpose(qkv5, [2, 0, 3, 1, 4]);
  const [q, k, v] = [0, 1, 2].map((i) => ex.op("Gather", [heads, ex.scalarInt(i)], { axis: 0 }));
  const qs = ex.mul(q!, ex.scalar(headDim ** -0.5));
  const attn = ex.softmax(ex.matmul(qs, ex.transpose(k!, [0, 1, 3, 2])), -1);
  const y = ex.reshape(ex.transpose(ex.matmul(attn, v!), [0, 2, 1, 3]), ex.shapeOf([bw!, nt!, wc!]));
  const proj = ex.linear(y, `${p}.fn.proj`, c, c, s.linearStd);

  // window_reverse, crop to [:H, :W], flatten back to (B, H·W, C).
  const merged6 = ex.reshape(
    ex.reshape(proj, ex.shapeOf([ex.ints([-1]), wsT, wsT, pc!])),
    ex.shapeOf([b!, nh, nw, wsT, wsT, ex.ints([-1])]),
  );
  const merged = ex.reshape(
    ex.transpose(merged6, [0, 1, 3, 2, 4, 5]),
    ex.shapeOf([b!, hp!, wp!, ex.ints([-1])]),
  );
  const cropped = ex.op(
    "Slice",
    [merged, ex.ints([0, 0]), ex.shapeOf([t.h, t.w]), ex.ints([1, 2]), ex.ints([1, 1])],
    {},
    `/${p}/Slice`,
  );
  const tokens = ex.reshape(cropped, ex.shapeOf([b!, mulInt(ex, t.h, t.w), ch!]));
  return { ...t, x: ex.op("Add", [t.x, tokens], {}, `/${p}/Add`) };
}
