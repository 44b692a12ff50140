// The three language graphs of a preset (embed_tokens, encoder_model, decoder_model_merged), built once with
// every scale at 1 and written per candidate with each drawn tensor multiplied by its kind's scale
// (scale-kinds.ts). Building base takes ≈40 s; writing a scaled copy ≈5 s.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Random, writeModel, type ModelProto, type TensorProto } from "../../onnx-graph";
import { baseVocabSize, type Preset } from "../../synthetic-model/presets";
import { buildDecoderMerged, buildEmbedTokens, buildEncoder } from "../../synthetic-model/text";
import { scaleKinds, type TextScaleKind } from "./scale-kinds";

export const TEXT_GRAPHS = ["embed_tokens", "encoder_model", "decoder_model_merged"] as const;
export type TextGraphName = (typeof TEXT_GRAPHS)[number];

const BUILDERS = {
  embed_tokens: buildEmbedTokens,
  encoder_model: buildEncoder,
  decoder_model_merged: buildDecoderMerged,
};

/**
 * Experimental knobs that no preset scale can express (they would need a builder change): they exist to
 * measure what such a change would buy. `addedGain` multiplies the rows of the Florence-2 added tokens
 * (`<od>`…`<and>`, the 1000 `<loc_N>` among them) in both tied copies of the token table; `eosBias` is put
 * in final_logits_bias for `</s>`.
 */
export interface ExperimentalKnobs {
  addedGain?: number;
  eosBias?: number;
}

export interface UnitTextGraphs {
  preset: Preset;
  models: Record<TextGraphName, ModelProto>;
  kinds: Record<TextGraphName, Map<string, TextScaleKind>>;
}

export function buildUnitTextGraphs(
  preset: Preset,
  seed: number,
  log: (s: string) => void = () => {},
): UnitTextGraphs {
  const unit: Preset = {
    ...preset,
    scales: {
      ...preset.scales,
      tokenEmbedding: 1,
      positions: 1,
      selfAttention: 1,
      crossAttention: 1,
      ffn: 1,
    },
  };
  const models = {} as Record<TextGraphName, ModelProto>;
  const kinds = {} as Record<TextGraphName, Map<string, TextScaleKind>>;
  for (const name of TEXT_GRAPHS) {
    const t0 = performance.now();
    models[name] = BUILDERS[name](unit, new Random(seed)).model;
    kinds[name] = scaleKinds(models[name].graph!);
    log(`built unit ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { preset, models, kinds };
}

function floats(t: TensorProto): Float32Array {
  const b = t.rawData;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Writes `<dir>/<graph>.onnx` for the three graphs at `scales` (unit data is left untouched). */
export function writeScaledTextGraphs(
  unit: UnitTextGraphs,
  scales: Record<TextScaleKind, number>,
  dir: string,
  knobs: ExperimentalKnobs = {},
): void {
  mkdirSync(dir, { recursive: true });
  const { vocabSize, dModel } = unit.preset.text;
  const firstAdded = baseVocabSize(unit.preset);
  for (const name of TEXT_GRAPHS) {
    const graph = unit.models[name].graph!;
    const saved = new Map<TensorProto, Uint8Array>();
    for (const t of graph.initializer) {
      const kind = unit.kinds[name].get(t.name);
      const isLogitsBias = t.name.startsWith("language_model.final_logits_bias");
      if (!kind && !(isLogitsBias && knobs.eosBias)) continue;
      const data = floats(t);
      if (kind) for (let i = 0; i < data.length; i++) data[i]! *= scales[kind];
      if (kind === "tokenEmbedding" && knobs.addedGain !== undefined) {
        // shared.weight is [vocab, d]; the lm_head copy is its transpose [d, vocab].
        const transposed = Number(t.dims[0]) === dModel && Number(t.dims[1]) === vocabSize;
        for (let v = firstAdded; v < vocabSize; v++) {
          for (let c = 0; c < dModel; c++)
            data[transposed ? c * vocabSize + v : v * dModel + c]! *= knobs.addedGain;
        }
      }
      if (isLogitsBias && knobs.eosBias) data[2] = knobs.eosBias;
      saved.set(t, t.rawData);
      t.rawData = new Uint8Array(data.buffer);
    }
    try {
      writeModel(join(dir, `${name}.onnx`), unit.models[name]);
    } finally {
      for (const [t, raw] of saved) t.rawData = raw;
    }
  }
}
