import type { ImageSize } from "../prompt/image-size";
import { dequantizePoints } from "./coordinates";
import { PY_DIGITS, pyInt } from "./py-compat";
import { findOcrLines } from "./token-runs";
import type { QuadBox, QuadBoxesResult } from "./types";

// A line is some text (lazy, not across a newline: `(.+?)`) followed by these eight tokens, four corners.
const EIGHT_LOCS = new RegExp(`<loc_(${PY_DIGITS})>`.repeat(8), "uy");

/**
 * OCR with regions, as the reference's parse_ocr_from_text_and_spans: only `<s>` is removed first, and the
 * line text is not trimmed. So with the usual decoded text (`</s><s>…`) the first label starts with `</s>`,
 * as on the model card; text whose run of locations is shorter than eight becomes part of the next label.
 * The reference's area filter has threshold 0 and never drops anything.
 */
export function parseOcr(text: string, size: ImageSize): QuadBoxesResult {
  const result: QuadBoxesResult = { quad_boxes: [], labels: [] };
  for (const line of findOcrLines(text.replaceAll("<s>", ""), EIGHT_LOCS)) {
    result.quad_boxes.push(dequantizePoints(line.digits.map(pyInt), size) as QuadBox);
    result.labels.push(line.label);
  }
  return result;
}
