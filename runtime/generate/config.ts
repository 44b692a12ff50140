/**
 * Generation options with Hugging Face `generate()` meaning, and Florence-2's generation_config.json values.
 */

/** HF `early_stopping`: true = stop once numBeams hypotheses are finished; false = heuristic; "never" = exact. */
export type EarlyStopping = boolean | "never";

export interface GenerationConfig {
  decoderStartTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  /** Forced as the first generated token (HF ForcedBOSTokenLogitsProcessor); null = off. */
  forcedBosTokenId: number | null;
  /** Forced as the last token when the length limit is reached (HF ForcedEOSTokenLogitsProcessor); null = off. */
  forcedEosTokenId: number | null;
  /** HF NoRepeatNGramLogitsProcessor; 0 = off. */
  noRepeatNgramSize: number;
  maxNewTokens: number;
  /** 1 = greedy search. */
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping;
}

/** Florence-2's generation_config.json plus the model card's call (max_new_tokens 1024, num_beams 3). */
export const FLORENCE2_GENERATION_CONFIG: Readonly<GenerationConfig> = Object.freeze({
  decoderStartTokenId: 2,
  eosTokenId: 2,
  padTokenId: 1,
  forcedBosTokenId: 0,
  forcedEosTokenId: 2,
  noRepeatNgramSize: 3,
  maxNewTokens: 1024,
  numBeams: 3,
  lengthPenalty: 1.0,
  earlyStopping: true,
});

/**
 * The decoder starts from the single decoder_start token, so the prompt length is 1 and HF sets
 * `max_length = max_new_tokens + decoder_input_ids.shape[-1]` (`_prepare_generated_length`; the inputs_embeds
 * correction there applies to decoder-only models only). Every length rule below counts from this.
 */
export const DECODER_PROMPT_LENGTH = 1;

export function maxLengthOf(config: GenerationConfig): number {
  return config.maxNewTokens + DECODER_PROMPT_LENGTH;
}

export function validateConfig(config: GenerationConfig, vocabSize: number): void {
  const ids = { decoderStartTokenId: config.decoderStartTokenId, eosTokenId: config.eosTokenId } as const;
  for (const [name, id] of Object.entries(ids)) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new RangeError(`${name} ${id} outside vocab`);
  }
  for (const id of [config.forcedBosTokenId, config.forcedEosTokenId]) {
    if (id !== null && (!Number.isInteger(id) || id < 0 || id >= vocabSize)) {
      throw new RangeError(`forced token ${id} outside vocab`);
    }
  }
  if (!Number.isInteger(config.maxNewTokens) || config.maxNewTokens < 1) {
    throw new RangeError(`maxNewTokens must be a positive integer, got ${config.maxNewTokens}`);
  }
  if (!Number.isInteger(config.numBeams) || config.numBeams < 1) {
    throw new RangeError(`numBeams must be a positive integer, got ${config.numBeams}`);
  }
  // Beam search keeps 2 * numBeams candidates per step: it needs that many (beam, token) pairs to choose from.
  if (config.numBeams > 1 && vocabSize < 2)
    throw new RangeError("beam search needs a vocabulary of at least 2");
  if (!Number.isInteger(config.noRepeatNgramSize) || config.noRepeatNgramSize < 0) {
    throw new RangeError(`noRepeatNgramSize must be a non-negative integer, got ${config.noRepeatNgramSize}`);
  }
  if (!Number.isFinite(config.lengthPenalty)) throw new RangeError("lengthPenalty must be finite");
}
