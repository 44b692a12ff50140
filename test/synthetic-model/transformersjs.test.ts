// transformers.js (the peer implementation, onnxruntime-node via device 'cpu') loads the tiny synthetic folder
// from local files only and generates from an image and a task: proof that our files follow the contract its
// Florence-2 support expects (file names, I/O names and dims, configs, tokenizer, processor tables).
// Its greedy tokens are compared with a loop that drives the same graphs directly (test/helpers/florence-ort).
import {
  AutoProcessor,
  AutoTokenizer,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  RawImage,
  type Tensor,
} from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  argmaxLast,
  decoderStep,
  encode,
  loadSessions,
  type FlorenceSessions,
} from "../helpers/florence-ort";
import { testPicture } from "../helpers/test-image";
import { LOCAL_ONLY, peerModel, useLocalFolder } from "../helpers/transformersjs";
import { tinyModelDir } from "../helpers/tiny-model";

let dir: string;
let id: string;

beforeAll(() => {
  dir = tinyModelDir();
  id = useLocalFolder(dir);
});

const opts = LOCAL_ONLY;

describe("transformers.js on the tiny synthetic folder", () => {
  let model: Florence2ForConditionalGeneration;
  let ours: FlorenceSessions;

  beforeAll(async () => {
    model = await peerModel(id);
    ours = await loadSessions(dir);
  });
  afterAll(async () => {
    await model?.dispose();
    await ours?.release();
  });

  it("AutoTokenizer loads the tokenizer with the Florence-2 ids", async () => {
    const tok = await AutoTokenizer.from_pretrained(id, opts);
    const ids = tok.encode("What is the region <loc_1><loc_2><loc_3><loc_4>?");
    expect(ids[0]).toBe(0);
    expect(ids.at(-1)).toBe(2);
    const base = (model.config as unknown as { vocab_size: number }).vocab_size - 1024;
    expect(ids.slice(-6, -2)).toEqual([base + 5, base + 6, base + 7, base + 8]);
    expect(tok.decode(ids, { skip_special_tokens: false })).toBe(
      "<s>What is the region <loc_1><loc_2><loc_3><loc_4>?</s>",
    );
  });

  it("processor builds the prompt and pixels, model generates, processor post-processes", async () => {
    const processor = (await AutoProcessor.from_pretrained(id, opts)) as Florence2Processor;
    const [w, h] = [640, 480];
    const image = new RawImage(testPicture(w, h), w, h, 3);

    const inputs = (await processor(image, "<CAPTION>")) as Record<string, Tensor>;
    const tok = await AutoTokenizer.from_pretrained(id, opts);
    expect(Array.from(inputs.input_ids!.data as BigInt64Array, Number)).toEqual(
      tok.encode("What does the image describe?"),
    );
    expect(inputs.pixel_values!.dims).toEqual([1, 3, 768, 768]);

    const generated = (await model.generate({ ...inputs, max_new_tokens: 10 })) as Tensor;
    const seq = Array.from(generated.data as BigInt64Array, Number);
    // Starts with decoder_start (2) then the forced <s> (0); at most 10 new tokens after the start token.
    expect(seq.slice(0, 2)).toEqual([2, 0]);
    expect(seq.length).toBeGreaterThan(2);
    expect(seq.length).toBeLessThanOrEqual(11);
    const vocab = (model.config as unknown as { vocab_size: number }).vocab_size;
    expect(seq.every((t) => t >= 0 && t < vocab)).toBe(true);

    const text = processor.batch_decode(generated, { skip_special_tokens: false })[0]!;
    const caption = processor.post_process_generation(text, "<CAPTION>", image.size);
    expect(typeof caption["<CAPTION>"]).toBe("string");
    // Every parser transformers.js implements accepts whatever the random model said.
    for (const task of ["<OD>", "<OCR_WITH_REGION>", "<REGION_PROPOSAL>", "<CAPTION_TO_PHRASE_GROUNDING>"]) {
      expect(() => processor.post_process_generation(text, task, image.size)).not.toThrow();
    }
    expect(processor.construct_prompts("<REGION_TO_CATEGORY><loc_1><loc_2><loc_3><loc_4>")).toEqual([
      "What is the region <loc_1><loc_2><loc_3><loc_4>?",
    ]);
  });

  it("greedy tokens equal those of the graphs driven directly through onnxruntime-node", async () => {
    const processor = await AutoProcessor.from_pretrained(id, opts);
    const image = new RawImage(testPicture(768, 768), 768, 768, 3);
    const inputs = (await processor(image, "<OD>")) as Record<string, Tensor>;
    // Plain greedy: no n-gram blocking, no forced tokens; stops at </s> or after 8 new tokens.
    const plainGreedy: Record<string, unknown> = {
      no_repeat_ngram_size: 0,
      forced_bos_token_id: null,
      forced_eos_token_id: null,
      num_beams: 1,
    };
    const generated = (await model.generate({ ...inputs, max_new_tokens: 8, ...plainGreedy })) as Tensor;
    const theirs = Array.from(generated.data as BigInt64Array, Number);

    const pixels = inputs.pixel_values!;
    const enc = await encode(
      ours,
      new ort.Tensor("float32", pixels.data as Float32Array, pixels.dims),
      Array.from(inputs.input_ids!.data as BigInt64Array, Number),
    );
    const seq = [2];
    let step = await decoderStep(ours, enc, seq);
    for (;;) {
      seq.push(argmaxLast(step.logits));
      if (seq.at(-1) === 2 || seq.length === 9) break;
      step = await decoderStep(ours, enc, seq, step.cache);
    }
    expect(theirs).toEqual(seq);
  });
});
