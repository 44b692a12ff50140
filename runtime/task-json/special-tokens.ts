/**
 * The reference removes special tokens with chained `str.replace` calls, and the order is observable
 * (`"</<s>s>"` becomes `"</s>"` after the first call and `""` after the second), so the order is kept.
 */
export function removeAll(text: string, tokens: readonly string[]): string {
  let out = text;
  for (const token of tokens) out = out.replaceAll(token, "");
  return out;
}

/** What the box, grounding and polygon parsers drop before parsing. */
export const FRAME_AND_PAD = ["<s>", "</s>", "<pad>"] as const;
