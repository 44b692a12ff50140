import type { ParserResults } from "./types";
import { removeAll } from "./special-tokens";

/**
 * Captions, OCR and the region-to-text tasks: the text minus `<s>` and `</s>`. Like the reference, nothing
 * else is removed or trimmed: a `<pad>` (batched decoding) or a stray `<loc_N>` stays in the answer.
 */
export function parsePureText(text: string): ParserResults["pure_text"] {
  return removeAll(text, ["<s>", "</s>"]);
}
