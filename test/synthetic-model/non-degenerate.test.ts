// The tiny synthetic model must say something: tests of beam search, parsers, caching and quantization error
// are vacuous on a model whose greedy output is one token repeated, or the same whatever the image.
// Generation by transformers.js (the peer) with the folder's generation_config (forced <s>, no repeated
// 3-gram), greedy, as a caller would run it; the thresholds sit well below what the seed-0 model does.
import {
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  RawImage,
  type Tensor,
} from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPicture } from "../helpers/test-image";
import { peerModel, peerProcessor, useLocalFolder } from "../helpers/transformersjs";
import { readJson, tinyModelDir } from "../helpers/tiny-model";

const SIZE = 768;
const NEW_TOKENS = 40;
const TASKS = ["<CAPTION>", "<OD>"] as const;

/** The test picture and a different one (stripes and a ramp), both already 768×768. */
function images(): Record<string, RawImage> {
  const stripes = new Uint8ClampedArray(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const [x, y] = [i % SIZE, Math.floor(i / SIZE)];
    stripes.set([(x >> 5) % 2 ? 230 : 25, (y * 255) / SIZE, ((x + y) >> 6) % 2 ? 200 : 60], i * 3);
  }
  return {
    picture: new RawImage(testPicture(SIZE, SIZE), SIZE, SIZE, 3),
    stripes: new RawImage(stripes, SIZE, SIZE, 3),
  };
}

describe("tiny synthetic model: greedy output is not degenerate", () => {
  let model: Florence2ForConditionalGeneration;
  let processor: Florence2Processor;
  let firstLoc: number;
  const outputs = new Map<string, number[]>();

  beforeAll(async () => {
    const dir = tinyModelDir();
    const id = useLocalFolder(dir);
    model = await peerModel(id);
    processor = await peerProcessor(id);
    firstLoc = readJson<Record<string, number>>(dir, "added_tokens.json")["<loc_0>"]!;
    for (const [name, image] of Object.entries(images())) {
      for (const task of TASKS) {
        const inputs = (await processor(image, task)) as Record<string, Tensor>;
        const out = (await model.generate({ ...inputs, max_new_tokens: NEW_TOKENS, num_beams: 1 })) as Tensor;
        // Drop the decoder start </s> and the forced <s>.
        outputs.set(`${name} ${task}`, Array.from(out.data as BigInt64Array, Number).slice(2));
      }
    }
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("uses many different tokens, among them <loc_N>", () => {
    for (const [key, tokens] of outputs) {
      expect(new Set(tokens).size, key).toBeGreaterThanOrEqual(12);
      const locs = tokens.filter((t) => t >= firstLoc && t < firstLoc + 1000).length;
      expect(locs, key).toBeGreaterThanOrEqual(3);
    }
  });

  it("says different things for different images", () => {
    for (const task of TASKS) {
      expect(outputs.get(`picture ${task}`)).not.toEqual(outputs.get(`stripes ${task}`));
    }
  });

  it("says different things for different tasks", () => {
    const differs = ["picture", "stripes"].some(
      (image) =>
        JSON.stringify(outputs.get(`${image} ${TASKS[0]}`)) !==
        JSON.stringify(outputs.get(`${image} ${TASKS[1]}`)),
    );
    expect(differs).toBe(true);
  });
});
