import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findLabelledRuns, findOcrLines } from "../../runtime/task-json/token-runs";

// The linear scanners must find exactly what the reference's regexes find. The oracle is the literal
// translation of the Python patterns (with Python's `.` = [^\n] and `\d` = \p{Nd}), run by V8's
// backtracking engine on small inputs where its quadratic cost does not matter.
const LOC = "<loc_\\p{Nd}+>";
const POLY_TOKEN = `(?:${LOC}|<sep>|<poly>|</poly>)`;

const soup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<",
        ">",
        "\n",
        "\r",
        " ",
        "a",
        "é",
        "😀",
        "<sep>",
        "<poly>",
        "</poly>",
        "<loc_",
        "<loc_x>",
        "loc_3>",
      ),
      fc.constantFrom("<loc_1>", "<loc_22>", "<loc_999>", "<loc_١>"),
      fc.constantFrom("<loc_1>".repeat(4), "<loc_5>".repeat(8), "<loc_7>".repeat(3)),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));

describe("token-run scanners equal the reference regexes", () => {
  it("findLabelledRuns ≡ findall([^<]+(?:<loc_N>){4,})", () => {
    const oracle = new RegExp(`([^<]+(?:${LOC}){4,})`, "gu");
    fc.assert(
      fc.property(soup, (text) => {
        const expected = Array.from(text.matchAll(oracle), (m) => m[1]);
        expect(findLabelledRuns(text, new RegExp(LOC, "uy"))).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("findLabelledRuns ≡ findall([^<]+(?:<loc_N>|<sep>|<poly>|</poly>){4,})", () => {
    const oracle = new RegExp(`([^<]+${POLY_TOKEN}{4,})`, "gu");
    fc.assert(
      fc.property(soup, (text) => {
        const expected = Array.from(text.matchAll(oracle), (m) => m[1]);
        expect(findLabelledRuns(text, new RegExp(POLY_TOKEN, "uy"))).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("findOcrLines ≡ findall((.+?)<loc_N>{×8})", () => {
    const eight = `<loc_(\\p{Nd}+)>`.repeat(8);
    const oracle = new RegExp(`([^\\n]+?)${eight}`, "gu");
    fc.assert(
      fc.property(soup, (text) => {
        const expected = Array.from(text.matchAll(oracle), (m) => ({ label: m[1], digits: m.slice(2) }));
        expect(findOcrLines(text, new RegExp(eight, "uy"))).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("stays fast on long output without locations", () => {
    const text = "</s><s>" + "a cat sat on the mat > ".repeat(5000);
    const t0 = performance.now();
    findLabelledRuns(text, new RegExp(LOC, "uy"));
    findOcrLines(text, new RegExp(`<loc_(\\p{Nd}+)>`.repeat(8), "uy"));
    expect(performance.now() - t0).toBeLessThan(200);
  });
});
