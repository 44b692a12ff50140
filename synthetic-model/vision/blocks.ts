// One DaViT depth unit: a SpatialBlock then a ChannelBlock, each conv1 → attention → conv2 → MLP with
// residuals (pre-norm attention and MLP, un-normalised depthwise-conv residuals).
import type { Exporter } from "../export-ops";
import { convPosEnc, preNormMlp, type BlockSpec } from "./block-parts";
import { channelAttention } from "./channel-attention";
import type { TokenMap } from "./shapes";
import { windowAttention } from "./window-attention";

type Attention = (ex: Exporter, t: TokenMap, s: BlockSpec) => TokenMap;

function block(ex: Exporter, t: TokenMap, s: BlockSpec, attention: Attention): TokenMap {
  let m = convPosEnc(ex, t, s, "conv1");
  m = attention(ex, m, s);
  m = convPosEnc(ex, m, s, "conv2");
  return preNormMlp(ex, m, s);
}

/** `vision_tower.blocks.{stage}.{unit}`: spatial_block, then channel_block. */
export function depthUnit(
  ex: Exporter,
  t: TokenMap,
  base: Omit<BlockSpec, "prefix">,
  stage: number,
  unit: number,
): TokenMap {
  const prefix = `vision_tower.blocks.${stage}.${unit}`;
  const spatial = block(ex, t, { ...base, prefix: `${prefix}.spatial_block` }, windowAttention);
  return block(ex, spatial, { ...base, prefix: `${prefix}.channel_block` }, channelAttention);
}
