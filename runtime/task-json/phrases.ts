import { PY_DIGITS, PY_DOT, PY_SPACE_CLASS, pyInt, pyStrip } from "./py-compat";
import { findLabelledRuns } from "./token-runs";

/**
 * Pieces shared by the box parsers (description_with_bboxes, bboxes, phrase_grounding), after the
 * reference's parse_description_with_bboxes_from_text_and_spans / parse_phrase_grounding_from_text_and_spans.
 */

const LOC = `<loc_${PY_DIGITS}>`;
// A phrase is a stretch without "<" followed by at least four location tokens (`[^<]+(?:LOC){4,}`) …
const LOC_TOKEN = new RegExp(LOC, "uy");
// … or, for region proposals, just the run of location tokens.
const BOXES_ONLY = new RegExp(`(?:${LOC}){4,}`, "gu");
// The label is what precedes the first location (or box-ish) token; `.` stops at a newline, so a label
// with a newline inside does not match at all and that phrase is dropped.
const LABEL = new RegExp(
  `^${PY_SPACE_CLASS}*(${PY_DOT}*?)(?=<od>|</od>|<box>|</box>|<bbox>|</bbox>|<loc_)`,
  "u",
);
const BOX = new RegExp(
  `<loc_(${PY_DIGITS})><loc_(${PY_DIGITS})><loc_(${PY_DIGITS})><loc_(${PY_DIGITS})>`,
  "gu",
);

/** `re.findall` of the phrase pattern: each phrase's text including its location tokens. */
export function findPhrases(text: string, allowEmptyPhrase: boolean): string[] {
  if (allowEmptyPhrase) return Array.from(text.matchAll(BOXES_ONLY), (m) => m[0]);
  return findLabelledRuns(text, LOC_TOKEN);
}

/**
 * The stripped label of a phrase, or null when the reference's label regex finds none. (The reference first
 * removes one `<obj>` from the phrase; a phrase cannot contain one, but the step is kept for fidelity.)
 */
export function phraseLabel(phraseText: string): string | null {
  const m = LABEL.exec(phraseText.replace("<obj>", ""));
  return m === null ? null : pyStrip(m[0]);
}

/** Every complete group of four location tokens, left to right, as bins; leftover tokens are ignored. */
export function boxBins(phraseText: string): number[][] {
  return Array.from(phraseText.matchAll(BOX), (m) => m.slice(1, 5).map((d) => pyInt(d ?? "0")));
}
