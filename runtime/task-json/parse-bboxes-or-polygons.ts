import type { ImageSize } from "../prompt/image-size";
import { parseDescriptionWithBboxes } from "./parse-description-with-bboxes";
import { parsePolygons } from "./parse-polygons";
import type { BoxesOrPolygonsResult } from "./types";

/**
 * <OPEN_VOCABULARY_DETECTION>: the reference parses either boxes or polygons, never both — if `<poly>`
 * occurs anywhere in the text, every labelled run (boxes included) goes through the polygon parser.
 */
export function parseBboxesOrPolygons(text: string, size: ImageSize): BoxesOrPolygonsResult {
  if (text.includes("<poly>")) {
    const { polygons, labels } = parsePolygons(text, size, false);
    return { bboxes: [], bboxes_labels: [], polygons, polygons_labels: labels };
  }
  const { bboxes, labels } = parseDescriptionWithBboxes(text, size, false);
  return { bboxes, bboxes_labels: labels, polygons: [], polygons_labels: [] };
}
