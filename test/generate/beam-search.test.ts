import { describe, expect, it } from "vitest";
import type { GenerateOptions } from "../../runtime/generate";
import { generate } from "../../runtime/generate";
import type { Rules } from "./brute-force";
import { enumerateSequences, florenceRules, generateOptionsOf, greedyPath, scoreOf } from "./brute-force";
import type { ToyModel } from "./toy-model";
import { A, B, C, D, EOS, randomModel, tableModel, ToyStepper } from "./toy-model";

const V = 7;
const baseRules: Rules = florenceRules(V, 5);

async function beam(model: ToyModel, options: GenerateOptions, rules: Rules = baseRules) {
  const stepper = new ToyStepper(model, rules.vocabSize);
  const out = await generate(stepper, { ...generateOptionsOf(rules), ...options });
  // Whatever wins, its reported score is the rules' score of the returned tokens.
  expect(out.score).toBeCloseTo(scoreOf(model, rules, out.tokens), 5);
  return { out, stepper };
}

const optimum = (model: ToyModel, rules: Rules = baseRules) => enumerateSequences(model, rules)[0]!.tokens;

describe("beam search", () => {
  it("finds the brute-force optimum where greedy does not", async () => {
    // A is the likelier first token (0.5 vs 0.4), but only B leads to a confident EOS.
    const model = tableModel(V, {
      "2,0": { [A]: 0.5, [B]: 0.4, [EOS]: 0.02 },
      "2,0,3": { [A]: 0.3, [B]: 0.25, [C]: 0.25, [EOS]: 0.1 },
      "2,0,4": { [EOS]: 0.97 },
    });
    expect(greedyPath(model, baseRules)).toEqual([2, 0, A, A, EOS]);
    expect((await generate(new ToyStepper(model, V), { numBeams: 1, maxNewTokens: 5 })).tokens).toEqual([
      2,
      0,
      A,
      A,
      EOS,
    ]);
    const { out } = await beam(model, { numBeams: 2 });
    expect(out.tokens).toEqual([2, 0, B, EOS]);
    expect(out.tokens).toEqual(optimum(model));
  });

  it("length_penalty picks the winner predicted by sum / generated_length ** length_penalty", async () => {
    // [2,0,2]: log 0.55 = -0.598 over 2 tokens; [2,0,3,2]: log 0.44 + log 0.99 = -0.831 over 3 tokens.
    // lp <= 0 favours the short one (-0.598 > -0.831), lp 1 the long one (-0.277 > -0.299).
    const model = tableModel(V, { "2,0": { [EOS]: 0.55, [A]: 0.44 }, "2,0,3": { [EOS]: 0.99 } });
    const predicted: [number, number[]][] = [
      [-1, [2, 0, EOS]],
      [0, [2, 0, EOS]],
      [1, [2, 0, A, EOS]],
      [2, [2, 0, A, EOS]],
    ];
    for (const [lengthPenalty, tokens] of predicted) {
      const rules = { ...baseRules, lengthPenalty };
      const { out } = await beam(model, { numBeams: 2, earlyStopping: true }, rules);
      expect(out.tokens).toEqual(tokens);
      expect(out.tokens).toEqual(optimum(model, rules));
    }
  });

  it("early_stopping true stops at numBeams finished hypotheses; false keeps going while a beam can win", async () => {
    // Step 1 finishes [2,0,2] (score -0.347); step 2 finishes [2,0,3,2] (-0.484): two hypotheses, so
    // early_stopping=true stops with [2,0,2]. With false, the best candidate B C (-1.437) still bounds
    // -1.437 / 3 = -0.479 > -0.484, so the search goes on and finds [2,0,4,5,6,2] (-1.447 / 5 = -0.289).
    const model = tableModel(V, {
      "2,0": { [EOS]: 0.5, [A]: 0.26, [B]: 0.24 },
      "2,0,3": { [EOS]: 0.9 },
      "2,0,4": { [C]: 0.99 },
      "2,0,4,5": { [D]: 0.99 },
    });
    const early = await beam(model, { numBeams: 2, earlyStopping: true });
    expect(early.out.tokens).toEqual([2, 0, EOS]);
    expect(early.out.steps).toBe(3);
    const heuristic = await beam(model, { numBeams: 2, earlyStopping: false });
    expect(heuristic.out.tokens).toEqual([2, 0, B, C, D, EOS]);
    expect(heuristic.out.tokens).toEqual(optimum(model));
  });

  it('early_stopping "never" bounds with max_length when length_penalty > 0, where false gives up', async () => {
    // After step 2 the hypotheses are [2,0,2] (-0.347) and [2,0,3,2] (-0.418); the best candidate is that EOS
    // itself (-1.255): false bounds -1.255 / 3 = -0.418 <= -0.418 and stops; "never" bounds -1.255 / 5 and goes
    // on to [2,0,4,5,6,2] (-1.611 / 5 = -0.322).
    const model = tableModel(V, {
      "2,0": { [EOS]: 0.5, [A]: 0.3, [B]: 0.2 },
      "2,0,3": { [EOS]: 0.95 },
      "2,0,4": { [C]: 0.999 },
      "2,0,4,5": { [D]: 0.999 },
    });
    expect((await beam(model, { numBeams: 2, earlyStopping: false })).out.tokens).toEqual([2, 0, EOS]);
    const never = await beam(model, { numBeams: 2, earlyStopping: "never" });
    expect(never.out.tokens).toEqual([2, 0, B, C, D, EOS]);
    expect(never.out.tokens).toEqual(optimum(model));
  });

  it('early_stopping "never" stops once no running beam can beat the worst hypothesis at max_length - 1', async () => {
    // max_new_tokens 6: the best conceivable generated length is 6. After step 2 the hypotheses are [2,0,2]
    // (-0.347) and [2,0,3,2] (-1.309 / 3 = -0.436); step 3's best candidate is B C EOS (-2.764), and
    // -2.764 / 6 = -0.461 <= -0.436: done after 4 steps (dividing by max_length 7 instead would go on).
    const model = tableModel(V, {
      "2,0": { [EOS]: 0.5, [A]: 0.3, [B]: 0.2 },
      "2,0,3": { [EOS]: 0.9 },
      "2,0,4": { [C]: 0.35 },
    });
    const rules = { ...baseRules, maxNewTokens: 6 };
    const { out } = await beam(model, { numBeams: 2, earlyStopping: "never" }, rules);
    expect(out).toMatchObject({ tokens: [2, 0, EOS], steps: 4 });
    expect(out.tokens).toEqual(optimum(model, rules));
  });

  it("early_stopping false bounds with the step's best candidate, EOS included (transformers 4.4x)", async () => {
    // Step 1 finishes [2,0,2] (-1.204 / 2 = -0.602); step 2's best candidate is A EOS (-0.734), finishing
    // [2,0,3,2] (-0.245). Its bound -0.734 / 3 = -0.245 is above the worst (-0.602): not done, although the best
    // running beam (A C, -2.408) could not win. Step 3's best candidate (-2.513 / 4 = -0.628) ends it.
    const model = tableModel(V, {
      "2,0": { [A]: 0.6, [EOS]: 0.3, [B]: 0.1 },
      "2,0,3": { [EOS]: 0.8, [C]: 0.15 },
    });
    const rules = { ...baseRules, maxNewTokens: 8 };
    const { out } = await beam(model, { numBeams: 2, earlyStopping: false }, rules);
    expect(out).toMatchObject({ tokens: [2, 0, A, EOS], steps: 4 });
    expect(out.tokens).toEqual(optimum(model, rules));
  });

  it("reorders the stepper's caches so each beam continues its source", async () => {
    // Step 0: one row fans out to both beams → reorder [0, 0]. Step 1: A and B both extend beam 0 → [0, 0].
    // Step 2: B C (-1.021, from beam 1) beats A C (-1.864, beam 0) → [1, 0]. Step 3: B C D stays beam 0, the
    // runner-up extends beam 1 → identity, no call. Step 4 is the last (forced EOS): no reorder after it.
    const model = tableModel(V, {
      "2,0": { [A]: 0.5, [B]: 0.4 },
      "2,0,3": { [C]: 0.31, [D]: 0.29 },
      "2,0,4": { [C]: 0.9 },
      "2,0,4,5": { [D]: 0.8, [EOS]: 0.15 },
      "2,0,3,5": { [EOS]: 0.6 },
    });
    const { out, stepper } = await beam(model, { numBeams: 2 });
    expect(stepper.reorders).toEqual([
      [0, 0],
      [0, 0],
      [1, 0],
    ]);
    expect(stepper.stepInputs).toEqual([[2], [0, 0], [A, B], [C, C], [D, 0]]);
    expect(stepper.histories.at(-1)).toEqual([
      [2, 0, B, C, D],
      [2, 0, A, C, 0],
    ]);
    expect(out).toMatchObject({ tokens: [2, 0, B, C, D, EOS], steps: 5 });
    expect(out.tokens).toEqual(optimum(model));
  });

  it("respects max_new_tokens and forces EOS at the limit", async () => {
    // The model never wants EOS; the forced EOS is the (max_new_tokens)-th generated token.
    const model = tableModel(V, {}, { [B]: 0.5, [C]: 0.3, [D]: 0.15 });
    for (const maxNewTokens of [1, 2, 3, 6]) {
      const rules = { ...baseRules, maxNewTokens };
      const { out } = await beam(model, { numBeams: 3 }, rules);
      expect(out.tokens).toHaveLength(maxNewTokens + 1);
      expect(out.tokens.at(-1)).toBe(EOS);
      expect(out.steps).toBe(maxNewTokens);
      // Several orders of B/C share the best score here, so compare the score, not the tokens.
      expect(out.score).toBeCloseTo(enumerateSequences(model, rules)[0]!.score, 5);
    }
    // max_new_tokens 1: forced EOS overrides forced BOS, as HF's processor order does.
    expect((await beam(model, { numBeams: 2 }, { ...baseRules, maxNewTokens: 1 })).out.tokens).toEqual([
      2,
      EOS,
    ]);
  });

  it("without forced EOS, a beam that reaches max_length is returned without EOS", async () => {
    const model = tableModel(V, {}, { [B]: 0.5, [C]: 0.3, [D]: 0.15 });
    const rules = { ...baseRules, forcedEos: null, maxNewTokens: 4 };
    const { out } = await beam(model, { numBeams: 2, earlyStopping: false }, rules);
    expect(out.tokens).toEqual([2, 0, B, B, B]);
    expect(out.tokens).toEqual(optimum(model, rules));
  });

  it("reports progress and honours an AbortSignal", async () => {
    const model = randomModel(V, 7);
    const events: number[] = [];
    const { out } = await beam(model, {
      numBeams: 3,
      onStep: (e) => {
        expect(e.final).toBe(false);
        events.push(e.step);
      },
    });
    expect(events).toEqual(Array.from({ length: out.steps }, (_, i) => i + 1));

    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    await expect(generate(new ToyStepper(model, V), { signal: controller.signal })).rejects.toThrow(
      "cancelled",
    );
  });

  it("runs Florence-2's defaults (3 beams, early stopping) on a larger random vocabulary", async () => {
    const rules = { ...baseRules, vocabSize: 40, maxNewTokens: 12 };
    const model = randomModel(rules.vocabSize, 11, 4);
    const stepper = new ToyStepper(model, rules.vocabSize);
    const out = await generate(stepper, { maxNewTokens: rules.maxNewTokens });
    expect(out.score).toBeCloseTo(scoreOf(model, rules, out.tokens), 5);
    expect(out.tokens.slice(0, 2)).toEqual([2, 0]);
    expect(out.tokens.at(-1)).toBe(EOS);
    expect(stepper.stepInputs.slice(1).every((t) => t.length === 3)).toBe(true);
  });
});
