import type { LogitsProcessor } from "./types";

/**
 * HF ForcedEOSTokenLogitsProcessor: the token chosen when the sequence has `maxLength - 1` tokens is the last
 * one allowed, so it must be `eosId`.
 */
export function forcedEos(maxLength: number, eosId: number): LogitsProcessor {
  return (tokens, scores) => {
    if (tokens.length !== maxLength - 1) return;
    scores.fill(-Infinity);
    scores[eosId] = 0;
  };
}
