// onnxruntime-web inside workerd (Miniflare): the fixture Worker imports the .wasm as a precompiled module,
// loads models from a seeded R2 bucket and runs (1) one graph and (2) the whole engine on the toy and the tiny
// synthetic Florence-2; the results are compared with onnxruntime-node run here (test/engine/reference.ts).
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ortNode from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Random } from "../../onnx-graph";
import { encoderInput, testPixels, TINY_MODEL, TOY_MODEL, type ModelUnderTest } from "../engine/models";
import { maxScaledDiff, referenceModel } from "../engine/reference";
import { writeMatMulChain } from "../engine/toy-matmul";
import { folderObjects, startWorker, type RunningWorker } from "./harness";

const MATMUL = { rows: 64, width: 256, layers: 2 };
const TOLERANCE = 1e-4;

/** Status 200, with the start of the body (the Worker's error text) as the failure message otherwise. */
async function expectOk(res: { status: number; clone(): { text(): Promise<string> } }, chars: number) {
  expect(res.status, (await res.clone().text()).slice(0, chars)).toBe(200);
}

interface FlorenceResult {
  info: { backend: string; threads: number; dModel: number };
  features: number[];
  hidden: number[];
  logits: number[][];
}

describe("onnxruntime-web in workerd (precompiled WebAssembly.Module)", () => {
  let worker: RunningWorker;
  const dirs = new Map<string, string>();
  const matmulDir = mkdtempSync(join(tmpdir(), "workerd-matmul-"));

  beforeAll(async () => {
    mkdirSync(join(matmulDir, "onnx"));
    writeMatMulChain(join(matmulDir, "onnx", "mm.onnx"), MATMUL);
    const objects = { ...folderObjects(matmulDir, "matmul") };
    for (const [key, model] of [
      ["toy", TOY_MODEL],
      ["tiny", TINY_MODEL],
    ] as const) {
      const dir = model.prepare();
      dirs.set(key, dir);
      Object.assign(objects, folderObjects(join(dir), key));
    }
    worker = await startWorker({
      entry: join(import.meta.dirname, "fixture-worker", "index.ts"),
      r2: { MODELS: objects },
    });
    console.log(
      `workerd bundle: JS ${worker.bundle.sizes.js} B + wasm ${worker.bundle.sizes.wasm} B; Miniflare ready in ${worker.startupMs.toFixed(0)} ms`,
    );
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it("bundles the WASM-only onnxruntime-web build and keeps the binary as a separate module", () => {
    expect(worker.bundle.wasm.map((w) => w.name)).toEqual(["ort-wasm-simd-threaded.wasm"]);
    // The JS-side bundle must not have pulled in another onnxruntime-web build (the default one is ~400 KB).
    expect(worker.bundle.sizes.js).toBeLessThan(400_000);
  });

  it("runs one graph and matches onnxruntime-node; the second request reuses the session", async () => {
    const x = new Random(3).normalArray(MATMUL.rows * MATMUL.width, 1);
    const times: string[] = [];
    let y = new Float32Array();
    for (let i = 0; i < 2; i++) {
      const res = await worker.fetch("/session?model=matmul&graph=onnx/mm.onnx", {
        method: "POST",
        body: x.buffer as ArrayBuffer,
      });
      await expectOk(res, 500);
      y = new Float32Array(await res.arrayBuffer());
      times.push(`init ${res.headers.get("x-init-ms")} ms, run ${res.headers.get("x-run-ms")} ms`);
    }
    console.log(`workerd MatMul chain: first request ${times[0]}; second ${times[1]}`);
    const session = await ortNode.InferenceSession.create(join(matmulDir, "onnx", "mm.onnx"));
    const expected = (await session.run({ x: new ortNode.Tensor("float32", x, [MATMUL.rows, MATMUL.width]) }))
      .y!.data as Float32Array;
    await session.release();
    expect(maxScaledDiff(y, expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  const florence = (key: "toy" | "tiny", model: ModelUnderTest) =>
    it(`runs the engine on the ${model.name}: features, encoder states and beam logits match onnxruntime-node`, async () => {
      const [a, b, c] = model.decoderTokens as [number, number, number];
      const pixels = testPixels(model.imageSize);
      const query = `model=${key}&size=${model.imageSize}&prompt=${model.promptIds.join(",")}&tokens=${a},${b},${c}`;
      const res = await worker.fetch(`/florence?${query}`, {
        method: "POST",
        body: pixels.buffer as ArrayBuffer,
      });
      await expectOk(res, 1000);
      console.log(
        `workerd engine on ${key}: init ${res.headers.get("x-init-ms")} ms, run ${res.headers.get("x-run-ms")} ms`,
      );
      const got = (await res.json()) as FlorenceResult;
      expect(got.info).toMatchObject({ backend: "ort-web", threads: 1, dModel: model.dims.dModel });

      const ref = await referenceModel(dirs.get(key)!);
      try {
        const features = await ref.vision(pixels, [1, 3, model.imageSize, model.imageSize]);
        const input = encoderInput(features, await ref.embed(model.promptIds), model.dims.dModel);
        const hidden = await ref.encode(input.embeds, input.mask);
        const last = async (prefix: number[]) => {
          const all = await ref.decodeFull([2, ...prefix], hidden, input.mask);
          return all.subarray(all.length - model.dims.vocabSize);
        };
        const close = (actual: number[], expected: Float32Array) =>
          expect(maxScaledDiff(Float32Array.from(actual), expected)).toBeLessThanOrEqual(TOLERANCE);
        const V = model.dims.vocabSize;
        close(got.features, features);
        close(got.hidden, hidden);
        close(got.logits[0]!, await last([]));
        close(got.logits[1]!.slice(0, V), await last([a]));
        close(got.logits[1]!.slice(V), await last([b]));
        const continued = await last([b, c]);
        close(got.logits[2]!.slice(0, V), continued);
        close(got.logits[2]!.slice(V), continued);
      } finally {
        await ref.release();
      }
    });
  florence("toy", TOY_MODEL);
  florence("tiny", TINY_MODEL);
});
