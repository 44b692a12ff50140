import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generate } from "../../runtime/generate";
import type { Rules } from "./brute-force";
import { enumerateSequences, florenceRules, generateOptionsOf, scoreOf } from "./brute-force";
import { EOS, randomModel, ToyStepper } from "./toy-model";

/** Random tiny problems: vocabulary, length limit, processors and length penalty. */
const problems = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  vocabSize: fc.integer({ min: 3, max: 5 }),
  maxNewTokens: fc.integer({ min: 1, max: 5 }),
  ngram: fc.constantFrom(0, 2, 3),
  forced: fc.boolean(),
  lengthPenalty: fc.constantFrom(-1, 0, 0.5, 1, 2),
  spread: fc.constantFrom(1, 3, 6),
});

type Problem = typeof problems extends fc.Arbitrary<infer T> ? T : never;

function rulesOf(p: Problem): Rules {
  return florenceRules(p.vocabSize, p.maxNewTokens, {
    forcedBos: p.forced ? 0 : null,
    forcedEos: p.forced ? EOS : null,
    ngram: p.ngram,
    lengthPenalty: p.lengthPenalty,
  });
}

async function run(p: Problem, numBeams: number, earlyStopping: boolean | "never") {
  const rules = rulesOf(p);
  const model = randomModel(p.vocabSize, p.seed, p.spread);
  const out = await generate(new ToyStepper(model, p.vocabSize), {
    numBeams,
    earlyStopping,
    ...generateOptionsOf(rules),
  });
  return { out, ranked: enumerateSequences(model, rules), score: scoreOf(model, rules, out.tokens) };
}

describe("beam search against brute-force enumeration", () => {
  it("with enough beams to hold every prefix, it returns the best of all sequences", async () => {
    await fc.assert(
      fc.asyncProperty(problems, fc.constantFrom(false, "never" as const), async (p, earlyStopping) => {
        // At most vocab^(steps-1) live prefixes ever compete, so this many beams never drops one.
        const numBeams = Math.max(2, p.vocabSize ** Math.max(1, p.maxNewTokens - 1));
        const { out, ranked, score } = await run(p, numBeams, earlyStopping);
        const [best, second] = ranked;
        expect(out.score).toBeCloseTo(best!.score, 5);
        expect(score).toBeCloseTo(best!.score, 5);
        // Float32 sums may reorder near-ties; demand the exact tokens only when the winner is clear.
        if (second === undefined || best!.score - second.score > 1e-4)
          expect(out.tokens).toEqual(best!.tokens);
      }),
      { numRuns: 150 },
    );
  });

  it("with any number of beams, it returns a valid sequence whose score it reports correctly", async () => {
    await fc.assert(
      fc.asyncProperty(
        problems,
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom(true, false, "never" as const),
        async (p, numBeams, earlyStopping) => {
          const { out, ranked, score } = await run(p, numBeams, earlyStopping);
          expect(out.score).toBeCloseTo(score, 5);
          expect(score).toBeLessThanOrEqual(ranked[0]!.score + 1e-5);
          expect(ranked.some((s) => s.tokens.join() === out.tokens.join())).toBe(true);
          expect(out.tokens.length).toBeLessThanOrEqual(p.maxNewTokens + 1);
          expect(out.steps).toBeLessThanOrEqual(p.maxNewTokens);
        },
      ),
      { numRuns: 300 },
    );
  });
});
