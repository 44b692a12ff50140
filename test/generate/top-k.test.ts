import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TopCandidates } from "../../runtime/generate/top-k";

/** Reference: materialise every (beam, token) sum, sort by score desc then flat index asc, take k. */
function fullSort(
  logprobs: Float32Array,
  vocab: number,
  beamScores: Float32Array,
  rowOf: (b: number) => number,
  k: number,
) {
  const all: { score: number; beam: number; token: number; index: number }[] = [];
  for (let b = 0; b < beamScores.length; b++) {
    for (let t = 0; t < vocab; t++) {
      all.push({
        score: Math.fround(logprobs[rowOf(b) * vocab + t]! + beamScores[b]!),
        beam: b,
        token: t,
        index: b * vocab + t,
      });
    }
  }
  all.sort((x, y) => (x.score === y.score ? x.index - y.index : y.score - x.score));
  return all.slice(0, k).map(({ score, beam, token }) => ({ score, beam, token }));
}

const value = fc.oneof(
  fc.integer({ min: -8, max: 0 }).map((x) => x / 2), // many ties
  fc.constant(-Infinity),
  fc.float({ min: -20, max: 0, noNaN: true }),
);

describe("TopCandidates", () => {
  it("selects the same k candidates, in the same order, as a full sort", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 9 }),
        fc.boolean(),
        fc.infiniteStream(value),
        fc.array(fc.oneof(fc.constant(0), fc.constant(-1e9), fc.float({ min: -5, max: 0, noNaN: true })), {
          minLength: 5,
          maxLength: 5,
        }),
        (beams, vocab, sharedRow, stream, scores) => {
          const rows = sharedRow ? 1 : beams;
          const it = stream[Symbol.iterator]();
          const logprobs = Float32Array.from({ length: rows * vocab }, () => it.next().value as number);
          const beamScores = Float32Array.from(scores.slice(0, beams));
          const rowOf = (b: number) => (sharedRow ? 0 : b);
          const k = Math.min(2 * beams, beams * vocab);
          const top = new TopCandidates(k);
          top.select(logprobs, vocab, beamScores, rowOf);
          const got = Array.from({ length: top.count }, (_, i) => ({
            score: top.score[i]!,
            beam: top.beam[i]!,
            token: top.token[i]!,
          }));
          expect(got).toEqual(fullSort(logprobs, vocab, beamScores, rowOf, k));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("selects correctly over a Florence-sized candidate set (3 beams x 51289)", () => {
    const vocab = 51289;
    const logprobs = Float32Array.from({ length: 3 * vocab }, (_, i) => Math.sin(i * 12.9898) * 10);
    const beamScores = Float32Array.of(-1, -2, -3);
    const top = new TopCandidates(6);
    top.select(logprobs, vocab, beamScores, (b) => b);
    const expected = fullSort(logprobs, vocab, beamScores, (b) => b, 6);
    expect(Array.from(top.score)).toEqual(expected.map((c) => c.score));
    expect(Array.from(top.token)).toEqual(expected.map((c) => c.token));
  });
});
