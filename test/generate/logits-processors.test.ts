import {
  ForcedBOSTokenLogitsProcessor,
  ForcedEOSTokenLogitsProcessor,
  NoRepeatNGramLogitsProcessor,
  Tensor,
} from "@huggingface/transformers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FLORENCE2_GENERATION_CONFIG } from "../../runtime/generate";
import {
  buildLogitsProcessors,
  forcedBos,
  forcedEos,
  noRepeatNGram,
} from "../../runtime/generate/logits-processors";
import { repeatsNgram } from "./brute-force";

const V = 6;
const sequences = fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 14 });

/** Indices set to -inf by a processor run on a row of zeros. */
function banned(process: (tokens: number[], row: Float32Array) => void, tokens: number[]): number[] {
  const row = new Float32Array(V);
  process(tokens, row);
  return [...row.keys()].filter((t) => row[t] === -Infinity);
}

/** The same through transformers.js (the peer implementation), batch of one. */
function peerRow(
  processor: { _call(ids: bigint[][], logits: Tensor): Tensor },
  tokens: number[],
  row: Float32Array,
) {
  const logits = new Tensor("float32", Float32Array.from(row), [1, row.length]);
  processor._call([tokens.map(BigInt)], logits);
  return Array.from(logits.data as Float32Array);
}

describe("noRepeatNGram", () => {
  it("bans exactly the tokens that would repeat an n-gram (direct definition)", () => {
    fc.assert(
      fc.property(sequences, fc.integer({ min: 1, max: 4 }), (tokens, n) => {
        const expected = [...Array(V).keys()].filter((t) => repeatsNgram([...tokens, t], n));
        expect(banned(noRepeatNGram(n), tokens)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with transformers.js NoRepeatNGramLogitsProcessor", () => {
    fc.assert(
      fc.property(sequences, fc.integer({ min: 1, max: 4 }), (tokens, n) => {
        const row = Float32Array.from({ length: V }, (_, i) => i * 0.5 - 1);
        const ours = Float32Array.from(row);
        noRepeatNGram(n)(tokens, ours);
        expect(Array.from(ours)).toEqual(peerRow(new NoRepeatNGramLogitsProcessor(n), tokens, row));
      }),
      { numRuns: 300 },
    );
  });

  it("bans nothing until n - 1 tokens exist, and counts the decoder start token", () => {
    expect(banned(noRepeatNGram(3), [2])).toEqual([]);
    // [2, 0, 2, 0] already holds the trigram (2, 0, 2): after (2, 0) the token 2 is banned.
    expect(banned(noRepeatNGram(3), [2, 0, 2, 0])).toEqual([2]);
  });
});

describe("forced BOS / EOS", () => {
  it("forcedBos acts only on the first generated position, like transformers.js", () => {
    fc.assert(
      fc.property(sequences, (tokens) => {
        const row = Float32Array.from({ length: V }, (_, i) => -i);
        const ours = Float32Array.from(row);
        forcedBos(0)(tokens, ours);
        expect(Array.from(ours)).toEqual(peerRow(new ForcedBOSTokenLogitsProcessor(0), tokens, row));
        if (tokens.length === 1) expect(Array.from(ours)).toEqual([0, ...Array(V - 1).fill(-Infinity)]);
        else expect(ours).toEqual(row);
      }),
    );
  });

  it("forcedEos acts only when the sequence has max_length - 1 tokens, like transformers.js", () => {
    fc.assert(
      fc.property(sequences, fc.integer({ min: 2, max: 12 }), (tokens, maxLength) => {
        const row = Float32Array.from({ length: V }, (_, i) => i);
        const ours = Float32Array.from(row);
        forcedEos(maxLength, 2)(tokens, ours);
        expect(Array.from(ours)).toEqual(
          peerRow(new ForcedEOSTokenLogitsProcessor(maxLength, 2), tokens, row),
        );
        if (tokens.length === maxLength - 1)
          expect(banned(forcedEos(maxLength, 2), tokens)).toEqual([0, 1, 3, 4, 5]);
        else expect(ours).toEqual(row);
      }),
    );
  });
});

describe("buildLogitsProcessors (HF order: NoRepeatNGram, ForcedBOS, ForcedEOS)", () => {
  const run = (maxNewTokens: number, tokens: number[]) => {
    const row = new Float32Array(V).fill(-1);
    for (const p of buildLogitsProcessors({ ...FLORENCE2_GENERATION_CONFIG, maxNewTokens })) p(tokens, row);
    return Array.from(row);
  };

  it("forced EOS wins over an n-gram ban of the EOS at the length limit", () => {
    // [2, 0, 3, 2, 0, 3] ends in (0, 3) and already holds (0, 3, 2): EOS is banned, yet forced at the limit.
    expect(run(6, [2, 0, 3, 2, 0, 3])).toEqual([-Infinity, -Infinity, 0, -Infinity, -Infinity, -Infinity]);
    expect(run(7, [2, 0, 3, 2, 0, 3])[2]).toBe(-Infinity);
  });

  it("with max_new_tokens 1 the forced EOS overrides the forced BOS", () => {
    expect(run(1, [2])).toEqual([-Infinity, -Infinity, 0, -Infinity, -Infinity, -Infinity]);
    expect(run(2, [2])).toEqual([0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
  });

  it("switches processors off with null / 0", () => {
    const config = { ...FLORENCE2_GENERATION_CONFIG, forcedBosTokenId: null, forcedEosTokenId: null };
    expect(buildLogitsProcessors({ ...config, noRepeatNgramSize: 0 })).toHaveLength(0);
    expect(buildLogitsProcessors(config)).toHaveLength(1);
  });
});
