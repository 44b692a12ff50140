// The benchmark's fixed-length generation (bench/e2e/fixed-length.ts) against its reference: transformers.js
// `generate` with min_new_tokens = max_new_tokens = N (HF's MinNewTokensLengthLogitsProcessor), greedy, on the
// tiny synthetic model with the same pixel_values. The tiny model does not emit EOS (2) within N tokens, so to
// make the suppression matter the end-of-sequence id is set, in both systems, to a token the model does emit
// early (the unconstrained run's 3rd new token): without suppression generation stops there; with it both
// systems must produce the same N tokens, the last being the forced EOS (2).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  Tensor,
} from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutEarlyEos } from "../../bench/e2e/fixed-length";
import { imageToPixelValues } from "../../runtime/pixels";
import { Florence2 } from "../../runtime/pipeline";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { tinyModelDir } from "../helpers/tiny-model";
import { peerModel, peerProcessor, useLocalFolder } from "../helpers/transformersjs";

const IMAGES = ["skimage/coins.png", "skimage/ihc.png"].map((f) => join(__dirname, "../fixtures/images", f));
const N = 12;

let tjs: Florence2ForConditionalGeneration;
let processor: Florence2Processor;
let plain: Florence2;

beforeAll(async () => {
  const dir = tinyModelDir();
  const id = useLocalFolder(dir);
  tjs = await peerModel(id);
  processor = await peerProcessor(id);
  plain = await loadFlorence2({ modelDir: dir, backend: "ort-node", threads: 1 });
});

afterAll(async () => {
  await tjs?.dispose();
  await plain?.engine.release();
});

describe("EOS suppressed until the length limit = transformers.js min_new_tokens = max_new_tokens", () => {
  it.each([
    [basename(IMAGES[0]!), "<CAPTION>", IMAGES[0]!],
    [basename(IMAGES[1]!), "<OD>", IMAGES[1]!],
  ])("%s %s", async (_n, task, img) => {
    const bytes = new Uint8Array(readFileSync(img!));
    const px = await imageToPixelValues(bytes);
    const inputs = processor.tokenizer!(processor.construct_prompts(task!), { padding: false }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const features = await plain.imageFeatures(bytes);
    const free = await plain.runOnFeatures(features, { task: task!, numBeams: 1, maxNewTokens: N });
    const stop = free.tokens[4]!; // [2, 0, a, b, c, ...]: the 3rd new token
    expect([0, 2]).not.toContain(stop);
    const req = { task: task!, numBeams: 1, maxNewTokens: N, generation: { eosTokenId: stop } };
    // Unsuppressed, generation ends at that token: the case discriminates.
    expect((await plain.runOnFeatures(features, req)).steps).toBeLessThan(N);

    const out = (await tjs.generate({
      ...inputs,
      pixel_values: new Tensor("float32", px.pixelValues, px.dims),
      max_new_tokens: N,
      min_new_tokens: N,
      eos_token_id: stop,
      num_beams: 1,
      do_sample: false,
    })) as Tensor;
    const expected = Array.from(out.data as BigInt64Array, Number);
    const fixed = new Florence2(withoutEarlyEos(plain.engine, stop), plain.folder);
    const r = await fixed.runOnFeatures(features, req);
    expect(r.tokens).toEqual(expected);
    expect(r.steps).toBe(N);
    expect(r.tokens.slice(1)).not.toContain(stop);
    expect(r.tokens.at(-1)).toBe(plain.folder.generation.forcedEosTokenId);
  });
});
