// Acceptance of the runtime against the peer: on the tiny synthetic model, our pipeline's greedy tokens equal
// transformers.js `generate` (num_beams 1, same max_new_tokens, same generation_config: forced BOS/EOS,
// no_repeat_ngram_size 3) for 5 images × 5 tasks, on both of our engines (onnxruntime-web WASM and
// onnxruntime-node). transformers.js gets the same pixel_values (ours: its own resize is sharp's, not PIL's)
// but builds the prompt ids with its own processor, so prompt construction is checked against it too.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  Tensor,
} from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Florence2 } from "../../runtime/pipeline";
import { imageToPixelValues } from "../../runtime/pixels";
import { buildPrompt, type PixelBox } from "../../runtime/prompt";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { tinyModelDir } from "../helpers/tiny-model";
import { peerModel, peerProcessor, useLocalFolder } from "../helpers/transformersjs";

const SKIMAGE = join(__dirname, "../fixtures/images/skimage");
const OURS = join(__dirname, "../fixtures/images");
// Grayscale, scanned text, RGBA, colour photo (shared fixtures), plus a JPEG with EXIF orientation 6 and a WebP.
const IMAGES = [
  join(SKIMAGE, "coins.png"),
  join(SKIMAGE, "page.png"),
  join(SKIMAGE, "logo.png"),
  join(SKIMAGE, "ihc.png"),
  join(OURS, "orient_6.jpg"),
  join(OURS, "orient_6.webp"),
];
const TASKS: { task: string; text?: string; box?: PixelBox }[] = [
  { task: "<CAPTION>" },
  { task: "<OD>" },
  { task: "<OCR_WITH_REGION>" },
  { task: "<CAPTION_TO_PHRASE_GROUNDING>", text: "a green car parked next to a tree" },
  { task: "<REGION_TO_DESCRIPTION>", box: [10, 20, 60, 90] },
];
const MAX_NEW_TOKENS = 24;

let dir: string;
let tjs: Florence2ForConditionalGeneration;
let processor: Florence2Processor;
const engines: Record<string, Florence2> = {};

beforeAll(async () => {
  dir = tinyModelDir();
  const id = useLocalFolder(dir);
  tjs = await peerModel(id);
  processor = await peerProcessor(id);
  engines["ort-web"] = await loadFlorence2({ modelDir: dir, backend: "ort-web" });
  engines["ort-node"] = await loadFlorence2({ modelDir: dir, backend: "ort-node", threads: 1 });
});

afterAll(async () => {
  await tjs?.dispose();
  for (const f of Object.values(engines)) await f.engine.release();
});

describe("greedy decoding equals transformers.js", () => {
  it.each(IMAGES.map((p) => [basename(p), p]))("%s: every task, both engines", async (_name, file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const px = await imageToPixelValues(bytes);
    const size = { width: px.width, height: px.height };
    const web = await engines["ort-web"]!.imageFeatures(bytes);
    const node = await engines["ort-node"]!.imageFeatures(bytes);
    // image_features of the WASM engine match onnxruntime-node's.
    let maxDiff = 0;
    for (let i = 0; i < web.features.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(web.features[i]! - node.features[i]!));
    expect(maxDiff).toBeLessThan(1e-4);

    for (const { task, text, box } of TASKS) {
      const textInput = box ?? text;
      // The peer's prompt: its processor's construct_prompts + tokenizer, on the reference's task string.
      const taskString =
        task + (box ? buildPrompt(task as never, box, size).match(/(<loc_\d+>){4}/)![0] : (text ?? ""));
      const peerInputs = processor.tokenizer!(processor.construct_prompts(taskString), {
        padding: false,
      }) as {
        input_ids: Tensor;
        attention_mask: Tensor;
      };
      const peerIds = Array.from(peerInputs.input_ids.data as BigInt64Array, Number);
      expect(
        engines["ort-web"]!.folder.tokenizer.encodePrompt(buildPrompt(task as never, textInput, size)),
      ).toEqual(peerIds);

      const generated = (await tjs.generate({
        ...peerInputs,
        pixel_values: new Tensor("float32", px.pixelValues, px.dims),
        max_new_tokens: MAX_NEW_TOKENS,
        num_beams: 1,
        do_sample: false,
      })) as Tensor;
      const expected = Array.from(generated.data as BigInt64Array, Number);

      for (const [name, f] of Object.entries(engines)) {
        const ours = await f.runOnFeatures(name === "ort-web" ? web : node, {
          task,
          textInput,
          numBeams: 1,
          maxNewTokens: MAX_NEW_TOKENS,
        });
        expect(ours.tokens, `${file} ${task} ${name}`).toEqual(expected);
      }
    }
  });
});
