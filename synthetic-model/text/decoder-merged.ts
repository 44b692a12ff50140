// decoder_model_merged.onnx: the no-past and with-past decoders built as two separate graphs (each with its
// own initializers, as two torch exports would be) and merged the way optimum does it. Weights are drawn
// from the fork of their state-dict key, so both graphs hold identical values and the merge stores them
// once; the shared cache only avoids drawing them twice.
import type { Random } from "../../onnx-graph";
import { mergeDecoders } from "../merge-decoders";
import type { Preset } from "../presets";
import { buildDecoder } from "./decoder";
import type { BuiltGraph } from "./model";
import type { WeightCache } from "./text-exporter";

/** `stats` are the no-past decoder's: it holds every weight (the with-past one lacks cross k/v_proj). */
export function buildDecoderMerged(preset: Preset, rng: Random): BuiltGraph {
  const cache: WeightCache = new Map();
  const noPast = buildDecoder(preset, rng, { withPast: false, cache });
  const withPast = buildDecoder(preset, rng, { withPast: true, cache });
  return { model: mergeDecoders(noPast.model, withPast.model), stats: noPast.stats };
}
