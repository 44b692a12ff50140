import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generate } from "../../runtime/generate";
import type { Rules } from "./brute-force";
import { florenceRules, generateOptionsOf, greedyPath } from "./brute-force";
import { A, B, C, EOS, randomModel, tableModel, ToyStepper } from "./toy-model";

const V = 7;
const rules = (over: Partial<Rules> = {}): Rules => florenceRules(V, 8, over);
const optionsOf = (r: Rules) => ({ numBeams: 1, ...generateOptionsOf(r) });

describe("greedy search", () => {
  it("follows the argmax path of the processed scores (random toy models)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(0, 2, 3),
        fc.boolean(),
        async (seed, maxNewTokens, ngram, forced) => {
          const r = rules({
            maxNewTokens,
            ngram,
            forcedBos: forced ? 0 : null,
            forcedEos: forced ? EOS : null,
          });
          const model = randomModel(V, seed);
          const stepper = new ToyStepper(model, V);
          const out = await generate(stepper, optionsOf(r));
          expect(out.tokens).toEqual(greedyPath(model, r));
          expect(out.steps).toBe(out.tokens.length - 1);
          expect(stepper.reorders).toEqual([]);
          expect(stepper.stepInputs).toEqual(out.tokens.slice(0, -1).map((t) => [t]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("stops at EOS, forces BOS first and EOS at the length limit", async () => {
    // After [2, 0]: A; after [2, 0, 3]: EOS. Unlisted prefixes prefer B, so without EOS it would run on.
    const model = tableModel(V, { "2,0": { [A]: 0.9 }, "2,0,3": { [EOS]: 0.8 } }, { [B]: 0.5, [C]: 0.4 });
    const out = await generate(new ToyStepper(model, V), { numBeams: 1, maxNewTokens: 10 });
    expect(out).toEqual({ tokens: [2, 0, A, EOS], steps: 3 });

    const runOn = tableModel(V, {}, { [B]: 0.5, [C]: 0.4 });
    // Unforced BOS: the model's own first choice (B) comes first.
    const free = await generate(new ToyStepper(runOn, V), {
      numBeams: 1,
      maxNewTokens: 4,
      forcedBosTokenId: null,
    });
    expect(free.tokens[1]).toBe(B);
    // max_new_tokens 7 → max_length 8: the 7th generated token is the forced EOS. Once (B, B, B) exists, B is
    // banned after (B, B) by the trigram rule, so the model falls back to C.
    const limited = await generate(new ToyStepper(runOn, V), { numBeams: 1, maxNewTokens: 7 });
    expect(limited).toEqual({ tokens: [2, 0, B, B, B, C, B, EOS], steps: 7 });
    const unforced = await generate(new ToyStepper(runOn, V), {
      numBeams: 1,
      maxNewTokens: 7,
      forcedEosTokenId: null,
    });
    expect(unforced).toEqual({ tokens: [2, 0, B, B, B, C, B, B], steps: 7 });
  });

  it("streams final tokens through onStep and honours an AbortSignal", async () => {
    const model = tableModel(V, {}, { [B]: 0.5, [C]: 0.4 });
    const seen: number[][] = [];
    const out = await generate(new ToyStepper(model, V), {
      numBeams: 1,
      maxNewTokens: 4,
      onStep: (e) => {
        expect(e.final).toBe(true);
        seen.push([...e.tokens]);
      },
    });
    expect(seen).toEqual(Array.from({ length: out.steps }, (_, i) => out.tokens.slice(0, i + 2)));

    const controller = new AbortController();
    const stepper = new ToyStepper(model, V);
    const run = generate(stepper, {
      numBeams: 1,
      maxNewTokens: 50,
      signal: controller.signal,
      onStep: (e) => e.step === 3 && controller.abort(new Error("stop")),
    });
    await expect(run).rejects.toThrow("stop");
    expect(stepper.stepInputs).toHaveLength(3);
  });

  it("rejects a stepper that returns the wrong number of logits", async () => {
    const stepper = new ToyStepper(tableModel(V, {}), V);
    const bad = { vocabSize: V + 1, step: (t: Int32Array) => stepper.step(t), reorder: () => {} };
    await expect(generate(bad, { numBeams: 1 })).rejects.toThrow(/logits/);
  });
});
