// Model sizes for the synthetic Florence-2 generator. `base` has the tensor shapes of
// microsoft/Florence-2-base-ft (REFERENCE.md §1); `tiny` keeps every structural feature (4 DaViT stages,
// spatial + channel blocks, window padding-free 768×768 input, BART encoder/decoder with learned positions,
// the merged decoder) at small widths, for tests.

export interface VisionDims {
  /** DaViT channels per stage. */
  dims: [number, number, number, number];
  depths: [number, number, number, number];
  /** Heads (window attention) = groups (channel attention) per stage. */
  heads: [number, number, number, number];
  windowSize: number;
  patchSize: [number, number, number, number];
  patchStride: [number, number, number, number];
  patchPadding: [number, number, number, number];
  patchPrenorm: [boolean, boolean, boolean, boolean];
  mlpRatio: number;
  /** Rows of the learned 2D position tables. */
  maxPosEmbeddings: number;
  /** Rows of the cosine temporal table. */
  maxTemporalEmbeddings: number;
}

export interface TextDims {
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  heads: number;
  ffn: number;
  /** Learned positions (the table has maxPositions + 2 rows: BART's offset). */
  maxPositions: number;
  /** Full vocabulary: base BPE vocabulary + the 1024 Florence-2 added tokens. */
  vocabSize: number;
}

/** Standard deviations of the random weights, per kind of tensor. */
export interface WeightScales {
  vision: number;
  visionConv: number;
  projection: number;
  tokenEmbedding: number;
  positions: number;
  selfAttention: number;
  crossAttention: number;
  ffn: number;
}

export interface Preset {
  name: "tiny" | "base";
  imageSize: number;
  vision: VisionDims;
  text: TextDims;
  scales: WeightScales;
}

/** Number of Florence-2 added tokens (<od> ... <and>), appended after the base BPE vocabulary. */
export const ADDED_TOKENS = 1024;

const COMMON_VISION = {
  windowSize: 12,
  patchSize: [7, 3, 3, 3],
  patchStride: [4, 2, 2, 2],
  patchPadding: [3, 1, 1, 1],
  patchPrenorm: [false, true, true, true],
  mlpRatio: 4,
  maxPosEmbeddings: 50,
  maxTemporalEmbeddings: 100,
} as const satisfies Partial<VisionDims>;

/** A preset's vision dims: the per-stage widths, depths and heads on the shared DaViT layout (fresh arrays). */
function visionDims(stages: Pick<VisionDims, "dims" | "depths" | "heads">): VisionDims {
  return {
    ...COMMON_VISION,
    patchSize: [...COMMON_VISION.patchSize],
    patchStride: [...COMMON_VISION.patchStride],
    patchPadding: [...COMMON_VISION.patchPadding],
    patchPrenorm: [...COMMON_VISION.patchPrenorm],
    ...stages,
  };
}

// Scales are per preset: random BART graphs behave differently at different widths and depths, and what
// makes greedy decoding varied at one size makes it degenerate at the other (REFERENCE.md §2). Measured with
// scripts/tune-scales/ (greedy, 60 new tokens, fixture images × tasks); numbers in the commit message.

// tiny (d_model 64, 2+2 layers): language-model scales larger than the usual 0.02 (at 0.02 the tied
// embedding/lm_head makes greedy decoding repeat its input token). Plain argmax still settles on one token
// after a few steps; with the generation config's no-repeat-3-gram, greedy output is varied and <loc_N>-rich
// (the 1000 <loc_N> are 56% of tiny's 1789-token vocabulary).
const TINY_SCALES: WeightScales = {
  vision: 0.02,
  visionConv: 0.05,
  projection: 0.02,
  tokenEmbedding: 1.0,
  positions: 0.02,
  selfAttention: 0.3,
  crossAttention: 0.05,
  ffn: 0.1,
};

// base (d_model 768, 6+6 layers): the tiny values make every decoder step land on one token per image
// (attention scores have std ≈ s²·d, 69 for self-attention at 0.3, so softmax is one-hot and the attended
// position, not the input, decides the output). What works at 768:
//  - weak attention (self 0.006, cross 0.02: scores std ≈ 0.03 and 0.3): the decoder keeps depending on its
//    input; cross-attention above ≈0.025 drowns it in one image-dependent vector (one token repeated), and
//    self-attention at 0.05 already collapses the encoder's tokens onto one another;
//  - FFN 0.06: strong enough (output ≈ 4× its input) that the input token does not survive the residual
//    path; below ≈0.035 the decoder copies its input token instead;
//  - token embedding and positions both 0.2: equal parts token and position into the decoder, so the
//    position varies the output too (no short cycles); 0.2 rather than 1 keeps logits in a trained model's
//    range (|logit| ≲ 30, mean top probability ≈ 0.4) so beam search has real alternatives.
// The vision scales are unchanged; its 2D position tables also take `positions` (0.2), and features of
// different images stay far apart (mean token cosine −0.15…0.33). <loc_N> and </s> stay rare: they are 2% of
// base's 51289 token rows, drawn like every other row, so no scale can favour them.
const BASE_SCALES: WeightScales = {
  vision: 0.02,
  visionConv: 0.05,
  projection: 0.02,
  tokenEmbedding: 0.2,
  positions: 0.2,
  selfAttention: 0.006,
  crossAttention: 0.02,
  ffn: 0.06,
};

export const PRESETS: Record<Preset["name"], Preset> = {
  base: {
    name: "base",
    imageSize: 768,
    vision: visionDims({ dims: [128, 256, 512, 1024], depths: [1, 1, 9, 1], heads: [4, 8, 16, 32] }),
    text: {
      dModel: 768,
      encoderLayers: 6,
      decoderLayers: 6,
      heads: 12,
      ffn: 3072,
      maxPositions: 1024,
      vocabSize: 51289,
    },
    scales: BASE_SCALES,
  },
  tiny: {
    name: "tiny",
    imageSize: 768,
    vision: visionDims({ dims: [16, 32, 64, 128], depths: [1, 1, 2, 1], heads: [1, 1, 2, 4] }),
    // Vocabulary: 4 specials + 256 byte tokens + 504 merges + <mask> = 765 base entries, then the 1024 added.
    text: {
      dModel: 64,
      encoderLayers: 2,
      decoderLayers: 2,
      heads: 4,
      ffn: 256,
      maxPositions: 1024,
      vocabSize: 765 + ADDED_TOKENS,
    },
    scales: TINY_SCALES,
  },
};

/** Base BPE vocabulary size (ids below the Florence-2 added tokens; <mask> is its last id). */
export function baseVocabSize(p: Preset): number {
  return p.text.vocabSize - ADDED_TOKENS;
}
