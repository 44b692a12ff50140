// Byte-level BPE's alphabet (GPT-2 / RoBERTa / BART): every byte is shown as one printable character, so a
// vocabulary of 256 symbols covers any UTF-8 text and no text is ever unknown. Printable Latin-1 bytes stand
// for themselves; the other 68 (controls, space, 0x7F–0xA0, 0xAD) are moved to U+0100 onwards, which is why
// a leading space appears as "Ġ" (U+0120).

function buildByteTable(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  return table;
}

/** BYTE_SYMBOLS[b] is the character that stands for byte b. */
export const BYTE_SYMBOLS: readonly string[] = buildByteTable();

/**
 * The ByteLevel pre-tokenizer's split (`use_regex: true`): English contractions, runs of letters, of digits or
 * of other symbols, each with at most one leading space, and whitespace runs.
 */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const utf8 = new TextEncoder();

/** Text → pre-tokens, each as its string of byte symbols (what BPE merges operate on). */
export function preTokenize(text: string): string[] {
  return (text.match(SPLIT) ?? []).map((piece) =>
    Array.from(utf8.encode(piece), (b) => BYTE_SYMBOLS[b]!).join(""),
  );
}
