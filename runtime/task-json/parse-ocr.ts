import type { ImageSize } from "../prompt/image-size";
import { dequantizePoints } from "./coordinates";
import { PY_DIGITS, PY_DOT, pyInt } from "./py-compat";
import type { QuadBox, QuadBoxesResult } from "./types";

// Some text (lazy, not across a newline) followed by eight location tokens: four corners.
const LINE = new RegExp(`(${PY_DOT}+?)${`<loc_(${PY_DIGITS})>`.repeat(8)}`, "gu");

/**
 * OCR with regions, as the reference's parse_ocr_from_text_and_spans: only `<s>` is removed first, and the
 * line text is not trimmed. So with the usual decoded text (`</s><s>…`) the first label starts with `</s>`,
 * as on the model card; text whose run of locations is shorter than eight becomes part of the next label.
 * The reference's area filter has threshold 0 and never drops anything.
 */
export function parseOcr(text: string, size: ImageSize): QuadBoxesResult {
  const result: QuadBoxesResult = { quad_boxes: [], labels: [] };
  for (const m of text.replaceAll("<s>", "").matchAll(LINE)) {
    const bins = m.slice(2, 10).map((d) => pyInt(d ?? "0"));
    result.quad_boxes.push(dequantizePoints(bins, size) as QuadBox);
    result.labels.push(m[1] ?? "");
  }
  return result;
}
