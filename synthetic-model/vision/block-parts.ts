// The parts DaViT's SpatialBlock and ChannelBlock share: the depthwise-conv position encoding (ConvPosEnc,
// a 3×3 depthwise conv with bias and no activation, added back as a residual) and the pre-norm MLP with
// exact GELU. Each part is a PreNorm wrapper in the checkpoint, hence the `.fn.` in the names.
import type { Exporter } from "../export-ops";
import { conv2d } from "./conv";
import { dimsOf, type TokenMap } from "./shapes";

export interface BlockSpec {
  /** State-dict prefix, e.g. `vision_tower.blocks.2.0.spatial_block`. */
  prefix: string;
  channels: number;
  /** Heads (window attention) or groups (channel attention). */
  heads: number;
  windowSize: number;
  mlpRatio: number;
  linearStd: number;
  convStd: number;
}

/** x + DW(x) on the token map; H, W are re-read from the conv output as DepthWiseConv2d returns them. */
export function convPosEnc(ex: Exporter, t: TokenMap, s: BlockSpec, name: "conv1" | "conv2"): TokenMap {
  const module = `${s.prefix}.${name}.fn.dw`;
  const [b, c] = dimsOf(ex, t.x, [0, 2]);
  const nchw = ex.reshape(ex.transpose(t.x, [0, 2, 1]), ex.shapeOf([b!, c!, t.h, t.w]));
  const y = conv2d(ex, nchw, module, {
    inChannels: s.channels,
    outChannels: s.channels,
    kernel: 3,
    stride: 1,
    pad: 1,
    groups: s.channels,
    std: s.convStd,
  });
  const [yb, yc, h, w] = dimsOf(ex, y, [0, 1, 2, 3]);
  const tokens = ex.transpose(ex.reshape(y, ex.shapeOf([yb!, yc!, ex.ints([-1])])), [0, 2, 1]);
  return { x: ex.op("Add", [t.x, tokens], {}, `/${s.prefix}/${name}/Add`), h: h!, w: w! };
}

/** x + fc2(GELU(fc1(LN(x)))). */
export function preNormMlp(ex: Exporter, t: TokenMap, s: BlockSpec): TokenMap {
  const p = `${s.prefix}.ffn`;
  const hidden = s.channels * s.mlpRatio;
  const n = ex.layerNorm(t.x, `${p}.norm`, s.channels);
  const h1 = ex.linear(n, `${p}.fn.net.fc1`, s.channels, hidden, s.linearStd);
  const a = ex.gelu(h1, `${p}.fn.net.act`);
  const h2 = ex.linear(a, `${p}.fn.net.fc2`, hidden, s.channels, s.linearStd);
  return { ...t, x: ex.op("Add", [t.x, h2], {}, `/${p}/Add`) };
}
