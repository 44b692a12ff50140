// Input/output names and symbolic dims of the three language graphs, as the onnx-community Florence-2 export
// and optimum's seq2seq convention have them (FLORENCE2-ARCHITECTURE.md §5, REFERENCE.md §2). transformers.js
// feeds and reads these by name; its first decoder step resolves `batch_size` to B and every other symbol to 0.
import type { TextDims } from "../presets";

export const DIM = {
  batch: "batch_size",
  sequence: "sequence_length",
  encoderSequence: "encoder_sequence_length",
  decoderSequence: "decoder_sequence_length",
  pastDecoderSequence: "past_decoder_sequence_length",
  presentDecoderSequence: "past_decoder_sequence_length + 1",
  encoderSequenceOut: "encoder_sequence_length_out",
} as const;

export type KvSide = "decoder" | "encoder";
export type KvPart = "key" | "value";

export function pastName(layer: number, side: KvSide, part: KvPart): string {
  return `past_key_values.${layer}.${side}.${part}`;
}

export function presentName(layer: number, side: KvSide, part: KvPart): string {
  return `present.${layer}.${side}.${part}`;
}

/** Cache tensors in optimum's order: per layer decoder.key, decoder.value, encoder.key, encoder.value. */
export function cacheEntries(t: TextDims): { layer: number; side: KvSide; part: KvPart }[] {
  const out: { layer: number; side: KvSide; part: KvPart }[] = [];
  for (let layer = 0; layer < t.decoderLayers; layer++) {
    for (const side of ["decoder", "encoder"] as const)
      for (const part of ["key", "value"] as const) out.push({ layer, side, part });
  }
  return out;
}

export function headDim(t: TextDims): number {
  if (t.dModel % t.heads !== 0) throw new Error(`d_model ${t.dModel} is not a multiple of ${t.heads} heads`);
  return t.dModel / t.heads;
}
