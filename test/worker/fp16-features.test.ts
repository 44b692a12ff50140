// What storing image features as fp16 (the feature cache's format) does to the output: the same images and
// tasks run on the tiny model from the fp32 features and from the features after an fp16 round trip through
// the cache codec. Reported: the features' relative error, and how many generated token sequences differ.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Florence2 } from "../../runtime/pipeline";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { decodeFeatures, encodeFeatures } from "../../worker/cache/feature-codec";
import { tinyModelDir } from "../helpers/tiny-model";
import { picturePng } from "./images";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "images");
const IMAGES: [string, Uint8Array][] = [
  ["picture 96x64", picturePng(96, 64)],
  ["picture 200x120", picturePng(200, 120, 77)],
  ["jpeg_420.jpg", new Uint8Array(readFileSync(join(FIXTURES, "jpeg_420.jpg")))],
  ["webp_lossy.webp", new Uint8Array(readFileSync(join(FIXTURES, "webp_lossy.webp")))],
  ["png_la.png", new Uint8Array(readFileSync(join(FIXTURES, "png_la.png")))],
];
const TASKS: { task: string; textInput?: string }[] = [
  { task: "<CAPTION>" },
  { task: "<OD>" },
  { task: "<OCR_WITH_REGION>" },
  { task: "<OPEN_VOCABULARY_DETECTION>", textInput: "a rectangle" },
];
const MAX_NEW_TOKENS = 24;

let florence: Florence2;
beforeAll(async () => {
  florence = await loadFlorence2({ modelDir: tinyModelDir(), backend: "ort-node", threads: 1 });
});
afterAll(async () => {
  await florence?.engine.release();
});

describe("fp16 feature cache entries", () => {
  it("keep the features within half-precision error and the generated tokens of the tiny model", async () => {
    let same = 0;
    let total = 0;
    let worstRel = 0;
    const differing: string[] = [];
    for (const [name, bytes] of IMAGES) {
      const fp32 = await florence.imageFeatures(bytes);
      const decoded = await decodeFeatures(await encodeFeatures(fp32, "k", "fp16"), "k");
      if (!decoded.ok) throw new Error(decoded.reason);
      const fp16 = decoded.features;
      let maxAbs = 0;
      let norm = 0;
      for (let i = 0; i < fp32.features.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(fp32.features[i]! - fp16.features[i]!));
        norm = Math.max(norm, Math.abs(fp32.features[i]!));
      }
      worstRel = Math.max(worstRel, maxAbs / norm);
      for (const { task, textInput } of TASKS)
        for (const numBeams of [1, 3]) {
          const req = { task, textInput, numBeams, maxNewTokens: MAX_NEW_TOKENS };
          const a = await florence.runOnFeatures(fp32, req);
          const b = await florence.runOnFeatures(fp16, req);
          total++;
          if (a.tokens.join() === b.tokens.join()) same++;
          else differing.push(`${name} ${task} beams=${numBeams}`);
        }
    }
    console.log(
      `fp16 features: max |error| / max |value| = ${worstRel.toExponential(2)}; identical token sequences ${same}/${total}` +
        (differing.length ? `; differing: ${differing.join("; ")}` : ""),
    );
    // binary16 keeps 11 significant bits: the error of each value is at most 2^-11 of its magnitude.
    expect(worstRel).toBeLessThanOrEqual(2 ** -11);
    expect(same).toBe(total);
  });
});
