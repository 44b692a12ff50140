import type { LogitsProcessor } from "./types";

/**
 * HF NoRepeatNGramLogitsProcessor: a token is banned (-inf) if appending it would repeat an n-gram that already
 * occurs in the row (the decoder start token included). Scans the row directly instead of building HF's n-gram
 * dictionary: O(length * n) per row and step, no allocation.
 */
export function noRepeatNGram(n: number): LogitsProcessor {
  return (tokens, scores) => {
    const len = tokens.length;
    if (n < 1 || len + 1 < n) return;
    // The n-gram being completed is tokens[len-n+1 .. len-1] + candidate; look for earlier matches of its prefix.
    const prefixStart = len - n + 1;
    for (let start = 0; start + n <= len; start++) {
      let k = 0;
      while (k < n - 1 && tokens[start + k] === tokens[prefixStart + k]) k++;
      if (k === n - 1) scores[tokens[start + n - 1]!] = -Infinity;
    }
  };
}
