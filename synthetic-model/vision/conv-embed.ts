// DaViT's ConvEmbed (patch embedding) for one stage. Stage 0 takes NCHW pixels and normalises after the conv
// (over its output channels); later stages take the token sequence and normalise before the conv (over the
// input channels): patch_prenorm = [false, true, true, true]. The new H, W are read from the conv's output.
import type { Exporter } from "../export-ops";
import type { VisionDims } from "../presets";
import { conv2d } from "./conv";
import { dimsOf, mulInt, type TokenMap } from "./shapes";

export function convEmbed(
  ex: Exporter,
  v: VisionDims,
  stage: number,
  convStd: number,
  input: TokenMap | { pixels: string },
): TokenMap {
  const module = `vision_tower.convs.${stage}`;
  const outC = v.dims[stage]!;
  let nchw: string;
  let inC: number;
  if ("pixels" in input) {
    nchw = input.pixels;
    inC = 3;
  } else {
    inC = v.dims[stage - 1]!;
    const x = v.patchPrenorm[stage] ? ex.layerNorm(input.x, `${module}.norm`, inC) : input.x;
    // einops 'b (h w) c -> b c h w': a reshape to (b, h, w, c), then a permute.
    const [b, c] = dimsOf(ex, x, [0, 2]);
    const bhwc = ex.reshape(x, ex.shapeOf([b!, input.h, input.w, c!]));
    nchw = ex.transpose(bhwc, [0, 3, 1, 2]);
  }
  const y = conv2d(ex, nchw, `${module}.proj`, {
    inChannels: inC,
    outChannels: outC,
    kernel: v.patchSize[stage]!,
    stride: v.patchStride[stage]!,
    pad: v.patchPadding[stage]!,
    groups: 1,
    std: convStd,
  });
  // einops 'b c h w -> b (h w) c': a permute, then a reshape to (b, h·w, c).
  const [b, c, h, w] = dimsOf(ex, y, [0, 1, 2, 3]);
  const tokens = ex.reshape(ex.transpose(y, [0, 2, 3, 1]), ex.shapeOf([b!, mulInt(ex, h!, w!), c!]));
  const x = v.patchPrenorm[stage] ? tokens : ex.layerNorm(tokens, `${module}.norm`, outC);
  return { x, h: h!, w: w! };
}
