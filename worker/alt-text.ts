// Caption → alt text for an upload hook: plain words (special tokens dropped), no "image of" lead-in,
// capitalised, ending with a period, at most maxLength characters. The short form keeps one sentence; the
// detailed form keeps as many whole sentences of a detailed caption as fit. What does not fit is cut at a
// word boundary, dropping a dangling article or preposition so the sentence does not end on "of a".

export const DEFAULT_ALT_TEXT_LENGTH = 125;

export interface AltTextOptions {
  maxLength?: number;
  /** Several sentences allowed (from <DETAILED_CAPTION>) instead of the first one only. */
  detail?: boolean;
}

// Lead-ins that describe the medium rather than the content ("The image shows", "A photo of", "In this
// picture,"). Applied repeatedly: "The image is a photo of a dog" loses both.
const MEDIUM = "(?:image|picture|photo(?:graph)?|illustration|screenshot)";
const LEAD_INS = [
  new RegExp(
    `^(?:this|the) ${MEDIUM} (?:shows|depicts|features|contains|displays|captures|is of|is)\\s+`,
    "i",
  ),
  new RegExp(`^(?:this|it) is (?:a|an) ${MEDIUM} of\\s+`, "i"),
  new RegExp(`^in (?:this|the) ${MEDIUM},?\\s+`, "i"),
  new RegExp(`^(?:(?:a|an|the) )?(?:close-up |black and white |color )?${MEDIUM} of\\s+`, "i"),
];

const DANGLING = new Set([
  "a",
  "an",
  "the",
  "of",
  "and",
  "or",
  "with",
  "in",
  "on",
  "at",
  "to",
  "for",
  "by",
  "from",
  "its",
  "their",
  "is",
  "are",
]);

/** Drops `<loc_N>`, `<unk>`, `</s>`... and collapses whitespace. */
export function plainText(text: string): string {
  return text
    .replace(/<[^<>\s]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function stripLeadIns(text: string): string {
  let out = text;
  for (let changed = true; changed;) {
    changed = false;
    for (const re of LEAD_INS) {
      const next = out.replace(re, "");
      if (next !== out && next.length > 0) {
        out = next;
        changed = true;
      }
    }
  }
  return out;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const withPeriod = (s: string) => `${s.replace(/[\s.,;:!?…-]+$/u, "")}.`;

/** Cuts one sentence at a word boundary so that it plus a final period fits. */
function cutAtWord(sentence: string, maxLength: number): string {
  const words = sentence.split(" ");
  const kept: string[] = [];
  let length = 0;
  for (const w of words) {
    const next = length + (kept.length > 0 ? 1 : 0) + w.length;
    if (next + 1 > maxLength) break;
    kept.push(w);
    length = next;
  }
  while (kept.length > 1 && DANGLING.has(kept[kept.length - 1]!.toLowerCase().replace(/[,;:]$/, "")))
    kept.pop();
  // A first word longer than the limit: cut inside it rather than return nothing.
  return kept.length > 0 ? kept.join(" ") : sentence.slice(0, Math.max(0, maxLength - 1));
}

export function altTextFromCaption(caption: string, opts: AltTextOptions = {}): string {
  const maxLength = opts.maxLength ?? DEFAULT_ALT_TEXT_LENGTH;
  const text = stripLeadIns(plainText(caption));
  if (text === "") return "";
  const sentences = text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0);
  const first = capitalise(sentences[0]!);
  let out = withPeriod(first);
  if (out.length > maxLength) return withPeriod(cutAtWord(first, maxLength));
  if (opts.detail) {
    for (const s of sentences.slice(1)) {
      const next = `${out} ${withPeriod(capitalise(s))}`;
      if (next.length > maxLength) break;
      out = next;
    }
  }
  return out;
}
