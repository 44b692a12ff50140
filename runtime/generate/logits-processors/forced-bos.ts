import type { LogitsProcessor } from "./types";

/** HF ForcedBOSTokenLogitsProcessor: when only the decoder start token is present, allow nothing but `bosId`. */
export function forcedBos(bosId: number): LogitsProcessor {
  return (tokens, scores) => {
    if (tokens.length !== 1) return;
    scores.fill(-Infinity);
    scores[bosId] = 0;
  };
}
