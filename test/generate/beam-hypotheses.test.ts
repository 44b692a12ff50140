import { describe, expect, it } from "vitest";
import { BeamHypotheses } from "../../runtime/generate/beam-hypotheses";

// Expectations follow HF BeamHypotheses: score = sum / generated_len ** length_penalty; beyond num_beams the
// lowest (score, insertion index) is dropped; the result is the last element of a stable ascending sort.
describe("BeamHypotheses", () => {
  it("normalises by generated length ** length_penalty and keeps the numBeams best", () => {
    const h = new BeamHypotheses(2, 1, true, 10, 1);
    h.add([2, 0, 5], -3, 3); // -1
    h.add([2, 0, 6, 7], -2, 4); // -0.5
    h.add([2, 0, 8], -6, 3); // -2: not better than the worst (-1), ignored
    h.add([2, 0, 9], -1.5, 3); // -0.5: evicts -1
    expect(h.beams.map((b) => [b.tokens.at(-1), b.score])).toEqual([
      [7, -0.5],
      [9, -0.5],
    ]);
  });

  it("on equal scores drops the earliest and returns the latest", () => {
    const h = new BeamHypotheses(2, 0, true, 10, 1);
    h.add([1], -1, 2);
    h.add([2], -1, 2);
    expect(h.best()?.tokens).toEqual([2]);
    h.add([3], -0.5, 2); // evicts [1] (earliest of the two -1s)
    expect(h.beams.map((b) => b.tokens[0])).toEqual([2, 3]);
    h.add([4], -0.5, 2); // evicts [2]; [3] and [4] tie: the later one wins
    expect(h.best()?.tokens).toEqual([4]);
  });

  it("isDone: true needs numBeams hypotheses; false bounds with cur_len; never with max_length when lp > 0", () => {
    const make = (earlyStopping: boolean | "never", lp: number) => {
      const h = new BeamHypotheses(2, lp, earlyStopping, 11, 1);
      h.add([2, 0], -1, 2);
      expect(h.isDone(-0.1, 4)).toBe(false); // one hypothesis only
      h.add([2, 0, 3], -3, 3); // worst -1 (lp 1) / -3 (lp 0)
      return h;
    };
    expect(make(true, 1).isDone(-100, 4)).toBe(true);
    // false, lp 1: bound -2.9 / 3 = -0.967 > -1 → not done; -3 / 3 = -1 → done.
    expect(make(false, 1).isDone(-2.9, 4)).toBe(false);
    expect(make(false, 1).isDone(-3, 4)).toBe(true);
    // never, lp 1: bound uses 11 - 1 = 10: -9.9 / 10 > -1 → not done; -10 / 10 → done.
    expect(make("never", 1).isDone(-9.9, 4)).toBe(false);
    expect(make("never", 1).isDone(-10, 4)).toBe(true);
    // never, lp 0: falls back to cur_len, so the bound is the sum itself.
    expect(make("never", 0).isDone(-2.9, 4)).toBe(false);
    expect(make("never", 0).isDone(-3, 4)).toBe(true);
  });
});
