import type { ImageSize } from "../prompt/image-size";
import { dequantizePoints } from "./coordinates";
import { PY_DIGITS, PY_DOT, PY_END, PY_SPACE_CLASS, pyInt, pyStrip } from "./py-compat";
import { FRAME_AND_PAD, removeAll } from "./special-tokens";
import { findLabelledRuns } from "./token-runs";
import type { Polygon, PolygonsResult } from "./types";

// After the reference's parse_description_with_polygons_from_text_and_spans.
const LOC = `<loc_${PY_DIGITS}>`;
const POLY_TOKEN = `(?:${LOC}|<sep>|<poly>|</poly>)`;
// A labelled run is `[^<]+` then four or more of these tokens (scanned by findLabelledRuns).
const POLY_TOKEN_STICKY = new RegExp(POLY_TOKEN, "uy");
const POLYGONS_ONLY = new RegExp(`${POLY_TOKEN}{4,}`, "gu");
// The reference strips `loc_N>` (sic, without "<") from the start of a phrase; kept for fidelity.
const LEADING_LOC_TAIL = new RegExp(`^loc_${PY_DIGITS}>`, "u");
const LABEL = new RegExp(
  `^${PY_SPACE_CLASS}*(${PY_DOT}*?)(?=<od>|</od>|<box>|</box>|<bbox>|</bbox>|<loc_|<poly>)`,
  "u",
);
const POLY_INSTANCE = new RegExp(`<poly>(${PY_DOT}*?)</poly>`, "gu");
// A polygon is a run of locations ended by <sep> or by the end of the instance.
const POLYGON = new RegExp(`((?:${LOC})+)(?:<sep>|${PY_END})`, "gu");
const LOC_VALUE = new RegExp(`<loc_(${PY_DIGITS})>`, "gu");

function polygonsOf(instance: string, size: ImageSize): Polygon[] {
  return Array.from(instance.matchAll(POLYGON), (m) => {
    const bins = Array.from((m[1] ?? "").matchAll(LOC_VALUE), (l) => pyInt(l[1] ?? "0"));
    // An unpaired last coordinate is dropped; a lone one leaves an empty polygon, as in the reference.
    if (bins.length % 2 === 1) bins.pop();
    return dequantizePoints(bins, size);
  });
}

/**
 * Segmentation output: `<loc…><loc…>…<sep><loc…>…`, optionally grouped in `<poly>…</poly>` instances and
 * preceded by a label. Each instance becomes one entry (a list of polygons) with the phrase's label;
 * labels keep non-ASCII characters here (the reference only filters them in the box parsers).
 * `allowEmptyPhrase` (segmentation tasks) ignores any text and takes runs of polygon tokens only.
 */
export function parsePolygons(text: string, size: ImageSize, allowEmptyPhrase: boolean): PolygonsResult {
  const clean = removeAll(text, FRAME_AND_PAD);
  const phrases = allowEmptyPhrase
    ? Array.from(clean.matchAll(POLYGONS_ONLY), (m) => m[0])
    : findLabelledRuns(clean, POLY_TOKEN_STICKY);

  const result: PolygonsResult = { polygons: [], labels: [] };
  for (const phraseText of phrases) {
    const stripped = phraseText.replace(LEADING_LOC_TAIL, "");
    if (stripped === "" && !allowEmptyPhrase) continue;
    const m = LABEL.exec(stripped);
    if (m === null) continue;
    const label = pyStrip(m[0]);

    const instances =
      phraseText.includes("<poly>") && phraseText.includes("</poly>")
        ? Array.from(phraseText.matchAll(POLY_INSTANCE), (p) => p[1] ?? "")
        : [phraseText];
    for (const instance of instances) {
      const polygons = polygonsOf(instance, size);
      if (polygons.length === 0) continue;
      result.polygons.push(polygons);
      result.labels.push(label);
    }
  }
  return result;
}
