// The token layout Florence-2 inherits from BART plus its own 1024 added tokens (REFERENCE.md §4).
import { ADDED_TOKENS } from "../presets";

/** BART's special tokens at ids 0–3; `<mask>` takes the last id of the base vocabulary. */
export const LEADING_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"] as const;
export const MASK_TOKEN = "<mask>";

/** Florence-2's added tokens in id order (the misspelt `<region_to_desciption>` is the real token). */
export function florenceAddedTokens(): string[] {
  const tokens = [
    "<od>",
    "</od>",
    "<ocr>",
    "</ocr>",
    ...Array.from({ length: 1000 }, (_, i) => `<loc_${i}>`),
    "<cap>",
    "</cap>",
    "<ncap>",
    "</ncap>",
    "<dcap>",
    "</dcap>",
    "<grounding>",
    "</grounding>",
    "<seg>",
    "</seg>",
    "<sep>",
    "<region_cap>",
    "</region_cap>",
    "<region_to_desciption>",
    "</region_to_desciption>",
    "<proposal>",
    "</proposal>",
    "<poly>",
    "</poly>",
    "<and>",
  ];
  if (tokens.length !== ADDED_TOKENS)
    throw new Error(`expected ${ADDED_TOKENS} added tokens, got ${tokens.length}`);
  return tokens;
}
