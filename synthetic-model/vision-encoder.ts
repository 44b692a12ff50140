// vision_encoder.onnx of the synthetic Florence-2: pixel_values (B, 3, H, W) → image_features (B, 1 + h·w, D),
// DaViT (4 stages of ConvEmbed + SpatialBlock/ChannelBlock units, no final norm) followed by the image head
// (2D positions, temporal row 0, mean token, projection, LayerNorm). ARCHITECTURE §1–2.
// Height and width stay symbolic throughout: every reshape, the window padding and the crop are computed
// from shapes, so one file serves 768×768 (577 tokens) and any other size whose stage-3 grid fits 50×50.
import { DataType, makeModel, type ModelProto, type Random } from "../onnx-graph";
import { Exporter, type ParamStats } from "./export-ops";
import type { Preset } from "./presets";
import { depthUnit } from "./vision/blocks";
import { convEmbed } from "./vision/conv-embed";
import { imageHead } from "./vision/image-head";
import type { TokenMap } from "./vision/shapes";

/**
 * The output's token dimension as the published file reports it (a symbolic expression left by onnxruntime's
 * shape inference, dansav/florence-2-sharp Models/README.md): 577 at 768×768, 1 + h·w in general.
 */
export const IMAGE_TOKENS_DIM =
  "floor(Reshape_2813_o0__d0*Reshape_2813_o0__d1*Reshape_2813_o0__d2/batch_size) + 1";

export function buildVisionEncoder(preset: Preset, rng: Random): { model: ModelProto; stats: ParamStats } {
  const v = preset.vision;
  const ex = new Exporter("main_graph", rng);
  const pixels = ex.g.input("pixel_values", DataType.FLOAT, ["batch_size", 3, "height", "width"]);

  let t: TokenMap | { pixels: string } = { pixels };
  for (let stage = 0; stage < 4; stage++) {
    let m = convEmbed(ex, v, stage, preset.scales.visionConv, t);
    const channels = v.dims[stage]!;
    const spec = {
      channels,
      heads: v.heads[stage]!,
      windowSize: v.windowSize,
      mlpRatio: v.mlpRatio,
      linearStd: preset.scales.vision,
      convStd: preset.scales.visionConv,
    };
    for (let unit = 0; unit < v.depths[stage]!; unit++) m = depthUnit(ex, m, spec, stage, unit);
    t = m;
  }
  if ("pixels" in t) throw new Error("vision preset has no stages");

  const features = imageHead(ex, t, {
    channels: v.dims[3],
    projectionDim: preset.text.dModel,
    maxPositions: v.maxPosEmbeddings,
    maxTemporal: v.maxTemporalEmbeddings,
    positionStd: preset.scales.positions,
    projectionStd: preset.scales.projection,
  });
  // The exporter names the graph output on the node that produces it (image_proj_norm's last Add).
  const last = ex.g.nodes.find((n) => n.output[0] === features);
  if (!last) throw new Error("image_proj_norm output not found");
  last.output = ["image_features"];
  ex.g.output("image_features", DataType.FLOAT, ["batch_size", IMAGE_TOKENS_DIM, preset.text.dModel]);

  const model = makeModel(ex.g.build(), {
    opsets: { "": 14 },
    irVersion: 8,
    metadata: { "florence-edge.preset": preset.name },
  });
  return { model, stats: ex.stats };
}
