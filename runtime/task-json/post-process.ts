import type { ImageSize } from "../prompt/image-size";
import { TASKS, type ParserKind, type TaskToken } from "../prompt/tasks";
import { parseBboxes } from "./parse-bboxes";
import { parseBboxesOrPolygons } from "./parse-bboxes-or-polygons";
import { parseDescriptionWithBboxes } from "./parse-description-with-bboxes";
import { parseOcr } from "./parse-ocr";
import { parsePhraseGrounding } from "./parse-phrase-grounding";
import { parsePolygons } from "./parse-polygons";
import { parsePureText } from "./parse-pure-text";
import type { ParsedAnswer, TaskAnswer, TaskResult } from "./types";

/** Runs one parser. Never throws on malformed text: what does not parse is left out. */
export function parseAnswer(text: string, parser: ParserKind, size: ImageSize): ParsedAnswer {
  switch (parser) {
    case "pure_text":
      return { parser, result: parsePureText(text) };
    case "ocr":
      return { parser, result: parseOcr(text, size) };
    case "description_with_bboxes":
      return { parser, result: parseDescriptionWithBboxes(text, size) };
    case "bboxes":
      return { parser, result: parseBboxes(text, size) };
    case "phrase_grounding":
      return { parser, result: parsePhraseGrounding(text, size) };
    case "polygons":
      return { parser, result: parsePolygons(text, size, true) };
    case "description_with_bboxes_or_polygons":
      return { parser, result: parseBboxesOrPolygons(text, size) };
    default: {
      const unreachable: never = parser;
      throw new Error(`unhandled parser kind ${String(unreachable)}`);
    }
  }
}

/**
 * Generated text (decoded with special tokens kept, e.g. `</s><s>car<loc_52>…</s>`) → the reference's
 * answer for the task, keyed by the task token. `imageSize` is the ORIGINAL image's size: coordinates
 * come back in its pixels.
 */
export function postProcessGeneration<T extends TaskToken>(
  text: string,
  task: T,
  imageSize: ImageSize,
): TaskAnswer<T> {
  const { result } = parseAnswer(text, TASKS[task].parser, imageSize);
  // The parser kind is TASKS[task].parser, so `result` has TaskResult<T>'s shape; TS cannot follow that.
  return { [task]: result as TaskResult<T> } as TaskAnswer<T>;
}
