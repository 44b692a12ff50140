// Learns byte-level BPE merges: first the classic way on the built-in corpus (repeatedly merge the most
// frequent adjacent pair; ties broken by the pair's text, so the result is fixed), then, once the corpus is
// exhausted (every word is one token), by a fixed filler that extends letter tokens one letter at a time
// (breadth-first), which yields the ~50k merges a base-sized vocabulary needs in well under a second.
import { BYTE_SYMBOLS, preTokenize } from "./byte-level";

export interface LearnedBpe {
  /** New tokens in id order (after the 256 byte symbols). */
  tokens: string[];
  /** Merges in rank order, each as [left, right]. */
  merges: [string, string][];
}

interface Word {
  symbols: string[];
  count: number;
}

function countWords(corpus: readonly { text: string; weight: number }[]): Word[] {
  const counts = new Map<string, number>();
  for (const { text, weight } of corpus) {
    for (const w of preTokenize(text)) counts.set(w, (counts.get(w) ?? 0) + weight);
  }
  // Sorted so that the result never depends on the corpus's order.
  return [...counts.keys()].sort().map((w) => ({ symbols: [...w], count: counts.get(w)! }));
}

/** The most frequent adjacent pair, or undefined when every word is a single symbol. */
function bestPair(words: readonly Word[]): [string, string] | undefined {
  const counts = new Map<string, number>();
  for (const w of words) {
    for (let i = 0; i + 1 < w.symbols.length; i++) {
      // Byte symbols never contain a space, so "a b" identifies the pair.
      const key = `${w.symbols[i]} ${w.symbols[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + w.count);
    }
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== undefined && key < best)) {
      best = key;
      bestCount = c;
    }
  }
  if (best === undefined) return undefined;
  const [a, b] = best.split(" ");
  return [a!, b!];
}

function applyMerge(words: Word[], a: string, b: string): void {
  for (const w of words) {
    const s = w.symbols;
    for (let i = 0; i + 1 < s.length; i++) {
      if (s[i] === a && s[i + 1] === b) s.splice(i, 2, a + b);
    }
  }
}

const LETTERS = "etaoinshrdlcumwfgypbvkjxqz";
const SPACE = BYTE_SYMBOLS[0x20]!;
const LETTER_TOKEN = new RegExp(`^${SPACE}?[A-Za-z]+$`);

/** Learns merges until `newTokens` tokens exist beyond the 256 byte symbols. */
export function learnBpe(corpus: readonly { text: string; weight: number }[], newTokens: number): LearnedBpe {
  const vocab = new Set<string>(BYTE_SYMBOLS);
  const tokens: string[] = [];
  const merges: [string, string][] = [];
  const add = (a: string, b: string) => {
    merges.push([a, b]);
    // Two merges can spell the same token ("ab"+"c", "a"+"bc"); it gets one id, as in the tokenizers trainer.
    if (!vocab.has(a + b)) {
      vocab.add(a + b);
      tokens.push(a + b);
    }
  };

  const words = countWords(corpus);
  while (tokens.length < newTokens) {
    const pair = bestPair(words);
    if (!pair) break;
    add(pair[0], pair[1]);
    applyMerge(words, pair[0], pair[1]);
  }

  // Filler: every letter token (optionally space-prefixed), in id order, spawns token+letter for each letter.
  const queue = [
    SPACE,
    ...BYTE_SYMBOLS.filter((s) => LETTER_TOKEN.test(s)),
    ...tokens.filter((t) => LETTER_TOKEN.test(t)),
  ];
  for (let q = 0; tokens.length < newTokens; q++) {
    const left = queue[q];
    if (left === undefined) throw new Error("BPE filler ran out of tokens to extend");
    for (const letter of LETTERS) {
      if (tokens.length >= newTokens) break;
      if (vocab.has(left + letter)) continue;
      add(left, letter);
      queue.push(left + letter);
    }
  }
  return { tokens, merges };
}
