// The engine conformance suite, run against every implementation (like hono's router/common.case.test.ts):
// each implementation's test file calls runEngineConformance with a factory. Expected values come from
// plain onnxruntime-node sessions (reference.ts), never from engine code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecoderSession, Florence2Engine } from "../../runtime/engine/types";
import { generate, type DecoderStepper } from "../../runtime/generate";
import { encoderInput, testPixels, type ModelUnderTest } from "./models";
import { maxScaledDiff, referenceModel, type ReferenceModel } from "./reference";

export interface ConformanceOptions {
  /** Builds the engine under test over a model folder. */
  makeEngine(dir: string): Promise<Florence2Engine>;
  models: ModelUnderTest[];
  /** Max |engine − reference| relative to max(1, |reference|). */
  tolerance: number;
  backend: Florence2Engine["info"]["backend"];
  threads: number;
}

const START = 2;

export function runEngineConformance(label: string, opts: ConformanceOptions): void {
  for (const model of opts.models) {
    describe(`${label} on ${model.name}`, () => {
      let engine: Florence2Engine;
      let ref: ReferenceModel;
      let hidden: Float32Array;
      let mask: BigInt64Array;
      let seqLen: number;
      let refFeatures: Float32Array;
      const pixels = testPixels(model.imageSize);
      const close = (actual: Float32Array, expected: Float32Array) =>
        expect(maxScaledDiff(actual, expected)).toBeLessThanOrEqual(opts.tolerance);

      beforeAll(async () => {
        const dir = model.prepare();
        [engine, ref] = await Promise.all([opts.makeEngine(dir), referenceModel(dir)]);
        // Encoder states from the REFERENCE, so decoder cases test the decoder alone.
        refFeatures = await ref.vision(pixels, [1, 3, model.imageSize, model.imageSize]);
        const input = encoderInput(refFeatures, await ref.embed(model.promptIds), model.dims.dModel);
        hidden = await ref.encode(input.embeds, input.mask);
        ({ mask, seqLen } = input);
      });
      afterAll(async () => {
        await engine?.release();
        await ref?.release();
      });

      /** Logits of the last position of the no-past reference over `[START, ...prefix]`. */
      const refLast = async (prefix: number[]) => {
        const all = await ref.decodeFull([START, ...prefix], hidden, mask);
        return all.subarray(all.length - model.dims.vocabSize);
      };
      const row = (logits: Float32Array, r: number) =>
        logits.subarray(r * model.dims.vocabSize, (r + 1) * model.dims.vocabSize);

      it("reports the model's dimensions and its own backend", () => {
        expect(engine.info).toEqual({ ...model.dims, backend: opts.backend, threads: opts.threads });
      });

      it("vision_encoder, embed_tokens and encoder_model match the reference", async () => {
        const size = model.imageSize;
        const features = await engine.encodeImage(pixels, [1, 3, size, size]);
        close(features, refFeatures);
        expect(features.length).toBe(577 * model.dims.dModel);
        const embeds = await engine.embedTokens(model.promptIds);
        close(embeds, await ref.embed(model.promptIds));
        close(await engine.embedTokens(BigInt64Array.from(model.promptIds, BigInt)), embeds);
        // A padded prompt position (mask 0) must reach the encoder as such.
        const input = encoderInput(features, embeds, model.dims.dModel, [1, 1, 1, 0, 1]);
        close(
          await engine.encode(input.embeds, input.mask, input.seqLen),
          await ref.encode(input.embeds, input.mask),
        );
      });

      it("step-by-step logits with the KV cache equal full-prefix logits without it", async () => {
        const dec = await engine.startDecoder(hidden, mask, seqLen);
        const fed: number[] = [];
        for (const token of [START, ...model.decoderTokens]) {
          const logits = await dec.step([token]);
          expect(logits.length).toBe(model.dims.vocabSize);
          if (token !== START) fed.push(token);
          close(logits, await refLast(fed));
        }
        expect(dec.length).toBe(model.decoderTokens.length + 1);
        dec.dispose();
      });

      it("beam rows: fan-out, different tokens, then reorder [1, 1] continues beam 1 in both rows", async () => {
        const [a, b, c] = model.decoderTokens as [number, number, number];
        const dec = await engine.startDecoder(hidden, mask, seqLen);
        await dec.step(Int32Array.of(START)); // one row for the start token, as the generation loop does
        dec.reorder([0, 0]);
        expect(dec.rows).toBe(2);
        const two = await dec.step([a, b]);
        close(row(two, 0), await refLast([a]));
        close(row(two, 1), await refLast([b]));
        dec.reorder([1, 1]);
        const next = await dec.step([c, c]);
        const expected = await refLast([b, c]);
        close(row(next, 0), expected);
        close(row(next, 1), expected);
        dec.dispose();
      });

      it("reorder permutes, duplicates and drops rows (3 beams)", async () => {
        const [a, b, c, d] = model.decoderTokens as [number, number, number, number];
        const dec = await engine.startDecoder(hidden, mask, seqLen);
        await dec.step([START]);
        dec.reorder([0, 0, 0]);
        await dec.step([a, b, c]);
        dec.reorder([2, 0, 2]); // beams: [c], [a], [c]
        const l1 = await dec.step([d, d, a]);
        close(row(l1, 0), await refLast([c, d]));
        close(row(l1, 1), await refLast([a, d]));
        close(row(l1, 2), await refLast([c, a]));
        dec.reorder([1, 2]); // drop a row: [a, d], [c, a]
        const l2 = await dec.step([b, b]);
        close(row(l2, 0), await refLast([a, d, b]));
        close(row(l2, 1), await refLast([c, a, b]));
        dec.dispose();
      });

      it("a first step with several rows equals single-row decoding per row", async () => {
        const [a] = model.decoderTokens as [number];
        const dec = await engine.startDecoder(hidden, mask, seqLen);
        const first = await dec.step([START, START]);
        const start = await refLast([]);
        close(row(first, 0), start);
        close(row(first, 1), start);
        const second = await dec.step([a, START]);
        close(row(second, 0), await refLast([a]));
        close(row(second, 1), await refLast([START]));
        dec.dispose();
      });

      it("interleaved sessions keep separate caches", async () => {
        const [a, b] = model.decoderTokens as [number, number];
        const s1 = await engine.startDecoder(hidden, mask, seqLen);
        const s2 = await engine.startDecoder(hidden, mask, seqLen);
        await Promise.all([s1.step([START]), s2.step([START])]);
        const [l1, l2] = await Promise.all([s1.step([a]), s2.step([b])]);
        close(l1, await refLast([a]));
        close(l2, await refLast([b]));
        s1.dispose();
        s2.dispose();
      });

      it("beam search (runtime/generate) over the session equals beam search over a cache-free reference stepper", async () => {
        // The reference stepper keeps each row's token prefix and recomputes the no-past logits of the whole
        // prefix every step; beam search's real reorder pattern (fan-out, duplicates, drops) then has to give
        // the same tokens over the engine's cached session.
        let prefixes: number[][] = [];
        const reference: DecoderStepper = {
          vocabSize: model.dims.vocabSize,
          async step(tokens) {
            prefixes =
              prefixes.length === 0
                ? Array.from(tokens, (t) => [t])
                : prefixes.map((p, i) => [...p, tokens[i]!]);
            const out = new Float32Array(tokens.length * model.dims.vocabSize);
            for (const [i, p] of prefixes.entries())
              out.set(await refLast(p.slice(1)), i * model.dims.vocabSize);
            return out;
          },
          reorder(src) {
            prefixes = src.map((s) => prefixes[s]!.slice());
          },
        };
        const options = { numBeams: 3, maxNewTokens: 10 };
        const expected = await generate(reference, options);
        const dec = await engine.startDecoder(hidden, mask, seqLen);
        const got = await generate(dec, options);
        dec.dispose();
        expect(got.tokens).toEqual(expected.tokens);
        expect(got.steps).toBe(expected.steps);
        expect(got.score).toBeCloseTo(expected.score!, 4);
      });

      it("refuses misuse with clear errors", async () => {
        const dec: DecoderSession = await engine.startDecoder(hidden, mask, seqLen);
        expect(() => dec.reorder([0])).toThrow(/before the first step/);
        await dec.step([START]);
        await expect(dec.step([1, 2])).rejects.toThrow(/2 tokens for 1 rows/);
        expect(() => dec.reorder([1])).toThrow(/outside/);
        dec.dispose();
        await expect(dec.step([1])).rejects.toThrow(/disposed/);
        await expect(engine.startDecoder(hidden, mask, seqLen + 1)).rejects.toThrow(/expected/);
      });
    });
  }
}
