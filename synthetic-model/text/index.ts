// The three language graphs of the synthetic Florence-2 generator.
export { buildEmbedTokens, SHARED_EMBEDDING } from "./embed-tokens";
export { buildEncoder, ENCODER_PREFIX } from "./encoder";
export { buildDecoder, DECODER_PREFIX, type DecoderOptions } from "./decoder";
export { buildDecoderMerged } from "./decoder-merged";
export { DIM, cacheEntries, pastName, presentName, headDim, type KvSide, type KvPart } from "./io-names";
export type { BuiltGraph } from "./model";
export type { TextBuildOptions, WeightCache } from "./text-exporter";
