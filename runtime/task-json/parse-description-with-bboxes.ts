import type { ImageSize } from "../prompt/image-size";
import { dequantizeBox } from "./coordinates";
import { boxBins, findPhrases, phraseLabel } from "./phrases";
import { asciiOnly } from "./py-compat";
import { FRAME_AND_PAD, removeAll } from "./special-tokens";
import type { BoxesResult } from "./types";

/**
 * `label<loc_x1><loc_y1><loc_x2><loc_y2>…` → one box per complete group of four locations, each with the
 * phrase's label (trimmed, non-ASCII characters removed). Used by <OD>, <DENSE_REGION_CAPTION> and, for
 * the box branch, <OPEN_VOCABULARY_DETECTION>. `allowEmptyPhrase` is the region-proposal variant.
 */
export function parseDescriptionWithBboxes(
  text: string,
  size: ImageSize,
  allowEmptyPhrase = false,
): BoxesResult {
  const result: BoxesResult = { bboxes: [], labels: [] };
  for (const phraseText of findPhrases(removeAll(text, FRAME_AND_PAD), allowEmptyPhrase)) {
    const label = phraseLabel(phraseText);
    if (label === null) continue;
    const ascii = asciiOnly(label);
    for (const bins of boxBins(phraseText)) {
      result.bboxes.push(dequantizeBox(bins, size));
      result.labels.push(ascii);
    }
  }
  return result;
}
