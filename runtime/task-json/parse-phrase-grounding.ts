import type { ImageSize } from "../prompt/image-size";
import { dequantizeBox } from "./coordinates";
import { boxBins, findPhrases, phraseLabel } from "./phrases";
import { asciiOnly } from "./py-compat";
import { FRAME_AND_PAD, removeAll } from "./special-tokens";
import type { BoxesResult } from "./types";

/**
 * Phrases the reference never reports as grounded (pronouns, determiners, "the image", …). The match is
 * exact and case-sensitive on the trimmed phrase, before non-ASCII removal: "it" is dropped, "It" is kept.
 */
// prettier-ignore
export const PHRASE_GROUNDING_BLACKLIST: ReadonlySet<string> = new Set([
  "it", "I", "me", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers",
  "they", "them", "their", "theirs", "one", "oneself", "we", "us", "our", "ours", "its",
  "myself", "yourself", "himself", "herself", "itself", "ourselves", "yourselves", "themselves",
  "this", "that", "these", "those", "who", "whom", "whose", "which", "what",
  "all", "another", "any", "anybody", "anyone", "anything", "each", "everybody", "everyone", "everything",
  "few", "many", "nobody", "none", "several", "some", "somebody", "someone", "something",
  "each other", "one another", "the image", "image", "images", "the", "a", "an", "a group",
  "other objects", "lots", "a set",
]);

/**
 * <CAPTION_TO_PHRASE_GROUNDING>: like the description parser (one label per box, a phrase may have several
 * boxes), but blacklisted phrases are dropped. An empty phrase (only spaces before the boxes) is kept.
 */
export function parsePhraseGrounding(text: string, size: ImageSize): BoxesResult {
  const result: BoxesResult = { bboxes: [], labels: [] };
  for (const phraseText of findPhrases(removeAll(text, FRAME_AND_PAD), false)) {
    const label = phraseLabel(phraseText);
    if (label === null || PHRASE_GROUNDING_BLACKLIST.has(label)) continue;
    const ascii = asciiOnly(label);
    for (const bins of boxBins(phraseText)) {
      result.bboxes.push(dequantizeBox(bins, size));
      result.labels.push(ascii);
    }
  }
  return result;
}
