import type { GenerationConfig } from "../config";
import { maxLengthOf } from "../config";
import { forcedBos } from "./forced-bos";
import { forcedEos } from "./forced-eos";
import { noRepeatNGram } from "./no-repeat-ngram";
import type { LogitsProcessor } from "./types";

export type { LogitsProcessor } from "./types";
export { forcedBos, forcedEos, noRepeatNGram };

/**
 * The processors Florence-2's config switches on, in HF `_get_logits_processor` order (NoRepeatNGram before
 * ForcedBOS before ForcedEOS). The order matters: the forced tokens win over an n-gram ban, and with
 * max_new_tokens 1 ForcedEOS overrides ForcedBOS.
 */
export function buildLogitsProcessors(config: GenerationConfig): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (config.noRepeatNgramSize > 0) list.push(noRepeatNGram(config.noRepeatNgramSize));
  if (config.forcedBosTokenId !== null) list.push(forcedBos(config.forcedBosTokenId));
  if (config.forcedEosTokenId !== null) list.push(forcedEos(maxLengthOf(config), config.forcedEosTokenId));
  return list;
}

export function applyLogitsProcessors(
  processors: readonly LogitsProcessor[],
  tokens: readonly number[],
  scores: Float32Array,
): void {
  for (const process of processors) process(tokens, scores);
}
