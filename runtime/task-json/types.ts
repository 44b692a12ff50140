import type { ParserKind, ParserKindOf, TaskToken } from "../prompt/tasks";

/** [x1, y1, x2, y2] in pixels of the original image. */
export type Box = [number, number, number, number];
/** Four corners [x1, y1, x2, y2, x3, y3, x4, y4] in pixels (OCR lines). */
export type QuadBox = [number, number, number, number, number, number, number, number];
/** [x1, y1, x2, y2, …] in pixels; may be empty when the model emitted a lone coordinate. */
export type Polygon = number[];

export interface BoxesResult {
  bboxes: Box[];
  labels: string[];
}

export interface QuadBoxesResult {
  quad_boxes: QuadBox[];
  labels: string[];
}

/** One entry per described object; each object is one or more polygons (parts separated by `<sep>`). */
export interface PolygonsResult {
  polygons: Polygon[][];
  labels: string[];
}

export interface BoxesOrPolygonsResult {
  bboxes: Box[];
  bboxes_labels: string[];
  polygons: Polygon[][];
  polygons_labels: string[];
}

/** The reference's output shape for each parser kind (field names are the reference's, snake_case). */
export interface ParserResults {
  pure_text: string;
  ocr: QuadBoxesResult;
  description_with_bboxes: BoxesResult;
  bboxes: BoxesResult;
  phrase_grounding: BoxesResult;
  polygons: PolygonsResult;
  description_with_bboxes_or_polygons: BoxesOrPolygonsResult;
}

/** A parsed answer tagged with the parser that produced it: switch on `parser` to narrow `result`. */
export type ParsedAnswer = { [K in ParserKind]: { parser: K; result: ParserResults[K] } }[ParserKind];

export type TaskResult<T extends TaskToken> = ParserResults[ParserKindOf<T>];

/** The reference's whole answer: the result keyed by the task token, e.g. `{"<OD>": {bboxes, labels}}`. */
export type TaskAnswer<T extends TaskToken> = { [K in T]: TaskResult<K> };
