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

// Larger scales in the language model than the usual 0.02: with 0.02 everywhere the tied embedding/lm_head
// makes greedy decoding repeat its input token (REFERENCE.md §2); these give varied, <loc_N>-rich output.
const SCALES: WeightScales = {
  vision: 0.02,
  visionConv: 0.05,
  projection: 0.02,
  tokenEmbedding: 1.0,
  positions: 0.02,
  selfAttention: 0.3,
  crossAttention: 0.05,
  ffn: 0.1,
};

export const PRESETS: Record<Preset["name"], Preset> = {
  base: {
    name: "base",
    imageSize: 768,
    vision: {
      ...COMMON_VISION,
      patchSize: [...COMMON_VISION.patchSize],
      patchStride: [...COMMON_VISION.patchStride],
      patchPadding: [...COMMON_VISION.patchPadding],
      patchPrenorm: [...COMMON_VISION.patchPrenorm],
      dims: [128, 256, 512, 1024],
      depths: [1, 1, 9, 1],
      heads: [4, 8, 16, 32],
    },
    text: { dModel: 768, encoderLayers: 6, decoderLayers: 6, heads: 12, ffn: 3072, maxPositions: 1024, vocabSize: 51289 },
    scales: SCALES,
  },
  tiny: {
    name: "tiny",
    imageSize: 768,
    vision: {
      ...COMMON_VISION,
      patchSize: [...COMMON_VISION.patchSize],
      patchStride: [...COMMON_VISION.patchStride],
      patchPadding: [...COMMON_VISION.patchPadding],
      patchPrenorm: [...COMMON_VISION.patchPrenorm],
      dims: [16, 32, 64, 128],
      depths: [1, 1, 2, 1],
      heads: [1, 1, 2, 4],
    },
    // Vocabulary: 4 specials + 256 byte tokens + 504 merges + <mask> = 765 base entries, then the 1024 added.
    text: { dModel: 64, encoderLayers: 2, decoderLayers: 2, heads: 4, ffn: 256, maxPositions: 1024, vocabSize: 765 + ADDED_TOKENS },
    scales: SCALES,
  },
};

/** Base BPE vocabulary size (ids below the Florence-2 added tokens; <mask> is its last id). */
export function baseVocabSize(p: Preset): number {
  return p.text.vocabSize - ADDED_TOKENS;
}
