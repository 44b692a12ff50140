/**
 * The reference parses with Python's `re` and str methods, whose character classes differ from
 * JavaScript's. Every regex in this folder is built from these pieces (always with the `u` flag, so that
 * classes see code points, as Python does) so that odd model output parses the same way.
 */

/** Python's `\s` and `str.strip()` set: JS `\s` plus U+001C–U+001F and U+0085, minus U+FEFF. */
export const PY_SPACE_CLASS =
  "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/** Python's `.` without DOTALL excludes only `\n` (JS's `.` also excludes `\r`, U+2028, U+2029). */
export const PY_DOT = "[^\\n]";
/** Python's `\d` in a str pattern is any Unicode decimal digit (category Nd), and `int()` reads them all. */
export const PY_DIGITS = "\\p{Nd}+";
/** Python's `$` without MULTILINE also matches just before a final `\n`. */
export const PY_END = "(?=\\n?$)";

const STRIP = new RegExp(`^${PY_SPACE_CLASS}+|${PY_SPACE_CLASS}+$`, "gu");
const NON_ASCII = /[^\p{ASCII}]/gu;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** `str.strip()` with no arguments. */
export function pyStrip(s: string): string {
  return s.replace(STRIP, "");
}

/** `s.encode('ascii', errors='ignore').decode('ascii')`: drops every non-ASCII character. */
export function asciiOnly(s: string): string {
  return s.replace(NON_ASCII, "");
}

/**
 * Value of a Unicode decimal digit. Unicode encodes each script's digits 0–9 as one contiguous run
 * starting at zero, so the distance to the start of the run of digits (mod 10) is the value.
 */
function digitValue(codePoint: number): number {
  if (codePoint >= 0x30 && codePoint <= 0x39) return codePoint - 0x30;
  let start = codePoint;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (codePoint - start) % 10;
}

/**
 * `int(s)` for a string that matched `PY_DIGITS`. Precision: exact below 2^53; beyond that (never a real
 * `<loc_N>` token) the reference's own torch.tensor() would overflow at 2^63 and raise, we do not.
 */
export function pyInt(digits: string): number {
  let value = 0;
  for (const ch of digits) value = value * 10 + digitValue(ch.codePointAt(0) ?? 0x30);
  return value;
}
