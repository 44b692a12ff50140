// embed_tokens.onnx: input_ids → inputs_embeds, a plain Gather on the shared token table (Florence-2 has
// scale_embedding false, so no √d factor). Both the encoder prompt and each decoder step go through it.
import { DataType, type Random } from "../../onnx-graph";
import type { Preset } from "../presets";
import { DIM } from "./io-names";
import { finish, type BuiltGraph } from "./model";
import { TextExporter, type TextBuildOptions } from "./text-exporter";

/** State-dict key of the token table; the decoder's lm_head copy is drawn from the same key (tied). */
export const SHARED_EMBEDDING = "language_model.model.shared.weight";

export function buildEmbedTokens(preset: Preset, rng: Random, opts: TextBuildOptions = {}): BuiltGraph {
  const { dModel, vocabSize } = preset.text;
  const e = new TextExporter("main_graph", rng, opts);
  e.g.input("input_ids", DataType.INT64, [DIM.batch, DIM.sequence]);
  const table = e.param(SHARED_EMBEDDING, [vocabSize, dModel], preset.scales.tokenEmbedding);
  e.g.op(
    "Gather",
    [table, "input_ids"],
    { axis: 0 },
    { name: "/embed_tokens/Gather", output: "inputs_embeds" },
  );
  e.g.output("inputs_embeds", DataType.FLOAT, [DIM.batch, DIM.sequence, dModel]);
  return finish(e);
}
