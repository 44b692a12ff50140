export { postProcessGeneration, parseAnswer } from "./post-process";
export { parsePureText } from "./parse-pure-text";
export { parseOcr } from "./parse-ocr";
export { parseDescriptionWithBboxes } from "./parse-description-with-bboxes";
export { parseBboxes } from "./parse-bboxes";
export { parsePhraseGrounding, PHRASE_GROUNDING_BLACKLIST } from "./parse-phrase-grounding";
export { parsePolygons } from "./parse-polygons";
export { parseBboxesOrPolygons } from "./parse-bboxes-or-polygons";
export type {
  Box,
  BoxesOrPolygonsResult,
  BoxesResult,
  ParsedAnswer,
  ParserResults,
  Polygon,
  PolygonsResult,
  QuadBox,
  QuadBoxesResult,
  TaskAnswer,
  TaskResult,
} from "./types";
