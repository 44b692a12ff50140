// The quantized tiny model through the product's own path: runtime/pipeline.ts on onnxruntime-web (the WASM
// engine the Worker runs, reading the int8 weights as external data through its file loader), image bytes in,
// task JSON out. Checked: output shapes, finite features, valid token ids, and answers of the shape the
// reference processor gives for each task kind. The fp32 model on the same requests is the control: both
// must pass the same checks (a check that only the quantized model passes would test nothing).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantizeFolder } from "../../quant/quantize-folder";
import type { Florence2, TaskResponse } from "../../runtime/pipeline";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { tinyModelDir } from "../helpers/tiny-model";

const SHARED = join(__dirname, "../../../shared/fixtures/images");
const IMAGES = ["coins.png", "logo.png"].map((f) => join(SHARED, f));
const REQUESTS = [
  { task: "<CAPTION>" },
  { task: "<OD>" },
  { task: "<OCR_WITH_REGION>" },
  { task: "<REGION_TO_DESCRIPTION>", textInput: [10, 20, 60, 90] as [number, number, number, number] },
];

const finiteBox = (b: unknown, n: number) =>
  Array.isArray(b) && b.length === n && b.every((v) => typeof v === "number" && Number.isFinite(v));

/** The answer's shape per parser kind (REFERENCE.md §3). */
function checkAnswer(r: TaskResponse, vocab: number): void {
  expect(r.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < vocab)).toBe(true);
  expect(r.steps).toBeGreaterThan(0);
  const answer = (r.result as Record<string, unknown>)[r.task];
  expect(answer, `${r.task} keyed answer`).toBeDefined();
  switch (r.task) {
    case "<CAPTION>":
    case "<REGION_TO_DESCRIPTION>":
      expect(typeof answer).toBe("string");
      break;
    case "<OD>": {
      const a = answer as { bboxes: unknown[]; labels: unknown[] };
      expect(a.bboxes.length).toBe(a.labels.length);
      for (const b of a.bboxes) expect(finiteBox(b, 4)).toBe(true);
      break;
    }
    case "<OCR_WITH_REGION>": {
      const a = answer as { quad_boxes: unknown[]; labels: unknown[] };
      expect(a.quad_boxes.length).toBe(a.labels.length);
      for (const b of a.quad_boxes) expect(finiteBox(b, 8)).toBe(true);
      break;
    }
    default:
      throw new Error(`no check for ${r.task}`);
  }
}

describe("quantized tiny model through the runtime pipeline (onnxruntime-web)", () => {
  const models: Record<"fp32" | "int8", Florence2 | undefined> = { fp32: undefined, int8: undefined };

  beforeAll(async () => {
    const fp32Dir = tinyModelDir();
    const int8Dir = mkdtempSync(join(tmpdir(), "quant-pipeline-"));
    quantizeFolder(fp32Dir, int8Dir);
    models.fp32 = await loadFlorence2({ modelDir: fp32Dir, backend: "ort-web", threads: 1 });
    models.int8 = await loadFlorence2({ modelDir: int8Dir, backend: "ort-web", threads: 1 });
  }, 120_000);

  afterAll(async () => {
    await models.fp32?.engine.release();
    await models.int8?.engine.release();
  });

  it("reads the quantization record of florence_edge.json", () => {
    expect(models.int8!.folder.metadata.quantization).toBe("int8");
    expect(models.fp32!.folder.metadata.quantization).toBe("fp32");
  });

  for (const variant of ["int8", "fp32"] as const) {
    it(`${variant}: image features have the model's shape and are finite`, async () => {
      const m = models[variant]!;
      const f = await m.imageFeatures(new Uint8Array(readFileSync(IMAGES[0]!)));
      expect(f.features.length).toBe(f.tokens * m.engine.info.dModel);
      expect(f.tokens).toBe(577);
      expect(f.features.every(Number.isFinite)).toBe(true);
    });

    it(`${variant}: every task gives an answer of the reference's shape`, async () => {
      const m = models[variant]!;
      // The vision encoder once per image (as the Worker's feature cache does); the fp32 control on one image.
      for (const image of variant === "int8" ? IMAGES : IMAGES.slice(0, 1)) {
        const features = await m.imageFeatures(new Uint8Array(readFileSync(image)));
        for (const req of REQUESTS)
          checkAnswer(
            await m.runOnFeatures(features, { ...req, maxNewTokens: 12, numBeams: 1 }),
            m.engine.info.vocabSize,
          );
        // Beam search (the product default, 3 beams) on the quantized graphs too.
        checkAnswer(
          await m.runOnFeatures(features, { task: "<OD>", maxNewTokens: 8 }),
          m.engine.info.vocabSize,
        );
      }
    }, 120_000);
  }
});
