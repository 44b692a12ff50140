// The two decoders that optimum merges into decoder_model_merged.onnx (FLORENCE2-ARCHITECTURE.md §3, §5.3):
//  - no past: positions from 2, full causal mask over the T inputs, cross-attention K/V projected from
//    encoder_hidden_states and returned as present.*.encoder.*;
//  - with past: positions from P + 2 (P = dim 2 of past_key_values.0.decoder.key), self K/V = concat(past,
//    new), cross-attention reads past_key_values.*.encoder.* directly; no encoder presents.
// Both end in the lm_head copy (tied to the token table) plus final_logits_bias.
import { DataType, type Random } from "../../onnx-graph";
import type { Preset } from "../presets";
import { attention } from "./attention";
import { SHARED_EMBEDDING } from "./embed-tokens";
import { ffn } from "./encoder";
import { DIM, cacheEntries, headDim, pastName, presentName } from "./io-names";
import { causalMask, embedWithPositions, paddingMask } from "./masks";
import { finish, type BuiltGraph } from "./model";
import { TextExporter, type TextBuildOptions } from "./text-exporter";

export const DECODER_PREFIX = "language_model.model.decoder";

export interface DecoderOptions extends TextBuildOptions {
  withPast: boolean;
}

export function buildDecoder(preset: Preset, rng: Random, opts: DecoderOptions): BuiltGraph {
  const t = preset.text;
  const sc = preset.scales;
  const p = DECODER_PREFIX;
  const hd = headDim(t);
  const e = new TextExporter(opts.withPast ? "decoder_with_past" : "decoder", rng, opts);
  const cache = cacheEntries(t);

  e.g.input("inputs_embeds", DataType.FLOAT, [DIM.batch, DIM.decoderSequence, t.dModel]);
  if (!opts.withPast)
    e.g.input("encoder_hidden_states", DataType.FLOAT, [DIM.batch, DIM.encoderSequence, t.dModel]);
  e.g.input("encoder_attention_mask", DataType.INT64, [DIM.batch, DIM.encoderSequence]);
  if (opts.withPast) {
    for (const c of cache) {
      const len = c.side === "decoder" ? DIM.pastDecoderSequence : DIM.encoderSequenceOut;
      e.g.input(pastName(c.layer, c.side, c.part), DataType.FLOAT, [DIM.batch, t.heads, len, hd]);
    }
  }

  const past = opts.withPast
    ? e.scalarDim(pastName(0, "decoder", "key"), 2, `/${p}/past_length`)
    : e.scalarInt(0);
  let h = embedWithPositions(e, "inputs_embeds", past, p, t.dModel, t.maxPositions + 2, sc.positions);
  const selfMask = causalMask(
    e,
    e.scalarDim("inputs_embeds", 1, `/${p}/causal_mask`),
    past,
    `/${p}/causal_mask`,
  );
  const crossMask = paddingMask(e, "encoder_attention_mask", `/${p}/encoder_mask`);
  const dims = { dModel: t.dModel, heads: t.heads };

  for (let l = 0; l < t.decoderLayers; l++) {
    const layer = `${p}.layers.${l}`;
    const kv = (side: "decoder" | "encoder") => ({
      key: pastName(l, side, "key"),
      value: pastName(l, side, "value"),
    });
    const sa = attention(e, {
      module: `${layer}.self_attn`,
      x: h,
      kv: h,
      ...(opts.withPast ? { past: kv("decoder") } : {}),
      mask: selfMask,
      ...dims,
      std: sc.selfAttention,
    });
    h = e.layerNorm(e.op("Add", [h, sa.out], {}, `/${layer}/Add`), `${layer}.self_attn_layer_norm`, t.dModel);
    const ca = attention(e, {
      module: `${layer}.encoder_attn`,
      x: h,
      ...(opts.withPast ? { cached: kv("encoder") } : { kv: "encoder_hidden_states" }),
      mask: crossMask,
      ...dims,
      std: sc.crossAttention,
    });
    h = e.layerNorm(
      e.op("Add", [h, ca.out], {}, `/${layer}/Add_1`),
      `${layer}.encoder_attn_layer_norm`,
      t.dModel,
    );
    h = e.layerNorm(
      e.op("Add", [h, ffn(e, h, layer, t.dModel, t.ffn, sc.ffn)], {}, `/${layer}/Add_2`),
      `${layer}.final_layer_norm`,
      t.dModel,
    );

    e.rename(sa.key, presentName(l, "decoder", "key"));
    e.rename(sa.value, presentName(l, "decoder", "value"));
    if (!opts.withPast) {
      e.rename(ca.key, presentName(l, "encoder", "key"));
      e.rename(ca.value, presentName(l, "encoder", "value"));
    }
  }

  // lm_head: its own (d × vocab) copy of the token table, drawn from the embedding's key so it is tied.
  const lm = e.linearT(h, "language_model.lm_head", t.dModel, t.vocabSize, sc.tokenEmbedding, {
    bias: false,
    weightKey: SHARED_EMBEDDING,
  });
  const bias = e.zerosBuffer("language_model.final_logits_bias", [1, t.vocabSize]);
  e.rename(e.op("Add", [lm, bias], {}, "/language_model/Add"), "logits");

  e.g.output("logits", DataType.FLOAT, [DIM.batch, DIM.decoderSequence, t.vocabSize]);
  for (const c of cache) {
    if (opts.withPast && c.side === "encoder") continue;
    const len = c.side === "decoder" ? DIM.presentDecoderSequence : DIM.encoderSequenceOut;
    e.g.output(presentName(c.layer, c.side, c.part), DataType.FLOAT, [DIM.batch, t.heads, len, hd]);
  }
  return finish(e);
}
