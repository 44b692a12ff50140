// encoder_model.onnx: the BART encoder over [image features ‖ prompt embeddings] (the concatenation happens
// outside, in the runtime). Learned positions (offset 2) + layernorm_embedding, then post-LN layers
// (self-attention, exact-GELU FFN); no final LayerNorm (FLORENCE2-ARCHITECTURE.md §3, §4.3).
import { DataType, type Random } from "../../onnx-graph";
import type { Preset } from "../presets";
import { attention } from "./attention";
import { DIM } from "./io-names";
import { embedWithPositions, paddingMask } from "./masks";
import { finish, type BuiltGraph } from "./model";
import { TextExporter, type TextBuildOptions } from "./text-exporter";

export const ENCODER_PREFIX = "language_model.model.encoder";

export function buildEncoder(preset: Preset, rng: Random, opts: TextBuildOptions = {}): BuiltGraph {
  const t = preset.text;
  const sc = preset.scales;
  const p = ENCODER_PREFIX;
  const e = new TextExporter("main_graph", rng, opts);
  e.g.input("inputs_embeds", DataType.FLOAT, [DIM.batch, DIM.encoderSequence, t.dModel]);
  e.g.input("attention_mask", DataType.INT64, [DIM.batch, DIM.encoderSequence]);

  let h = embedWithPositions(
    e,
    "inputs_embeds",
    e.scalarInt(0),
    p,
    t.dModel,
    t.maxPositions + 2,
    sc.positions,
  );
  const mask = paddingMask(e, "attention_mask", `/${p}/mask`);
  for (let l = 0; l < t.encoderLayers; l++) {
    const layer = `${p}.layers.${l}`;
    const sa = attention(e, {
      module: `${layer}.self_attn`,
      x: h,
      kv: h,
      mask,
      dModel: t.dModel,
      heads: t.heads,
      std: sc.selfAttention,
    });
    h = e.layerNorm(e.op("Add", [h, sa.out], {}, `/${layer}/Add`), `${layer}.self_attn_layer_norm`, t.dModel);
    h = e.layerNorm(
      e.op("Add", [h, ffn(e, h, layer, t.dModel, t.ffn, sc.ffn)], {}, `/${layer}/Add_1`),
      `${layer}.final_layer_norm`,
      t.dModel,
    );
  }
  e.rename(h, "last_hidden_state");
  e.g.output("last_hidden_state", DataType.FLOAT, [DIM.batch, DIM.encoderSequence, t.dModel]);
  return finish(e);
}

/** fc2(GELU(fc1(h))) with exact (erf) GELU. */
export function ffn(
  e: TextExporter,
  h: string,
  layer: string,
  dModel: number,
  hidden: number,
  std: number,
): string {
  const a = e.gelu(e.linearT(h, `${layer}.fc1`, dModel, hidden, std), `${layer}/activation_fn`);
  return e.linearT(a, `${layer}.fc2`, hidden, dModel, std);
}
