export { buildTokenizerFiles, type TokenizerFiles } from "./tokenizer-files";
export { florenceAddedTokens, LEADING_SPECIALS, MASK_TOKEN } from "./special-tokens";
export { BYTE_SYMBOLS, preTokenize } from "./byte-level";
export { learnBpe, type LearnedBpe } from "./train-bpe";
