// The engine contract: the four Florence-2 ONNX graphs (REFERENCE.md §2) behind one small, platform-neutral
// interface. The pipeline glue (concatenating image features with prompt embeddings, building masks) and the
// decoding loop live elsewhere (runtime/generate/); an engine only runs graphs and keeps the decoder's caches.
import type { DecoderStepper } from "../generate/stepper";

/** The four graphs of the onnx-community layout, by file stem. */
export type GraphName = "vision_encoder" | "embed_tokens" | "encoder_model" | "decoder_model_merged";
export const GRAPH_NAMES: readonly GraphName[] = [
  "vision_encoder",
  "embed_tokens",
  "encoder_model",
  "decoder_model_merged",
];

export interface EngineInfo {
  /** Which implementation runs the graphs ('staged' = graphs split across Workers, a later addition). */
  readonly backend: "ort-web" | "ort-node" | "staged";
  /** Intra-op threads the implementation was configured with. */
  readonly threads: number;
  /** Hidden size of the language model (768 for base). */
  readonly dModel: number;
  readonly vocabSize: number;
  readonly decoderLayers: number;
  /** Attention heads and head size of the decoder caches ([rows, heads, length, headDim]). */
  readonly heads: number;
  readonly headDim: number;
}

/**
 * One request's decoder state: the encoder output it attends to, the cross-attention K/V (computed by the
 * first step and shared by every row) and one self-attention cache per row (= live beam; 1 for greedy).
 *
 * Rows follow {@link DecoderStepper}: the first `step` fixes the row count (the generation loop sends ONE row
 * for the start token, beams included, since all beams are identical then); `reorder` may then change it
 * (1 → numBeams) and from then on every `step` gets exactly one token per row.
 */
export interface DecoderSession extends DecoderStepper {
  /** Live rows (0 before the first step). */
  readonly rows: number;
  /** Tokens fed per row so far (the self-attention cache length). */
  readonly length: number;
  /**
   * Feeds one token per row; resolves to next-token logits, row-major [tokens.length, vocabSize]. The array
   * belongs to the caller (it may be modified in place) and is not reused by the session.
   */
  step(tokens: ArrayLike<number>): Promise<Float32Array>;
  /** New row i continues old row `sourceRows[i]` (duplicates and drops allowed). Only self-attention caches move. */
  reorder(sourceRows: readonly number[]): void;
  /** Drops the caches; later calls throw. */
  dispose(): void;
}

export interface Florence2Engine {
  readonly info: EngineInfo;
  /** vision_encoder: pixel_values [1, 3, H, W] → image_features, [1, 577, dModel] for Florence-2. */
  encodeImage(pixelValues: Float32Array, dims: readonly [1, 3, number, number]): Promise<Float32Array>;
  /** embed_tokens: ids [1, n] → inputs_embeds [1, n, dModel]. */
  embedTokens(ids: readonly number[] | BigInt64Array): Promise<Float32Array>;
  /** encoder_model: inputs_embeds [1, S, dModel] + attention_mask [1, S] → last_hidden_state [1, S, dModel]. */
  encode(inputsEmbeds: Float32Array, attentionMask: BigInt64Array, seqLen: number): Promise<Float32Array>;
  /** A decoder session over one encoder output [1, S, dModel] and its mask [1, S]. */
  startDecoder(
    encoderHidden: Float32Array,
    encoderMask: BigInt64Array,
    seqLen: number,
  ): Promise<DecoderSession>;
  /** Releases the graphs' sessions; the engine is unusable afterwards. */
  release(): Promise<void>;
}
