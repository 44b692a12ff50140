import type { ImageSize } from "../prompt/image-size";
import { parseDescriptionWithBboxes } from "./parse-description-with-bboxes";
import type { BoxesResult } from "./types";

/**
 * <REGION_PROPOSAL>: runs of four or more location tokens, text between them ignored; every label is "".
 * A run of six yields one box (the leftover pair is ignored), a run of eight yields two.
 */
export function parseBboxes(text: string, size: ImageSize): BoxesResult {
  return parseDescriptionWithBboxes(text, size, true);
}
