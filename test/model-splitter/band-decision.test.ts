// Which DaViT stages the planner runs in bands when it is not told (model-splitter/davit/banded-plan.ts): only
// stages with a segment that cannot run whole within a stage's budget. A stage that fits runs whole (every
// quantized MatMul sees the whole map: no statistics passes), and the split still gives the unsplit model's
// image features.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planBandedVision } from "../../model-splitter/davit/banded-plan";
import type { SplitManifest } from "../../model-splitter/manifest";
import { defaultOptions } from "../../model-splitter/split/options";
import { splitModel } from "../../model-splitter/split/split";
import { readModel } from "../../onnx-graph";
import { quantizeFolder } from "../../quant/quantize-folder";
import { createStagedWebEngine } from "../../runtime/engine/staged";
import { compileOrtWasm, createOrtWebNodeEngine, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";
import { normalizeToChw, testPicture } from "../helpers/test-image";
import { tinyModelDir } from "../helpers/tiny-model";

const MiB = 2 ** 20;
const tmp = mkdtempSync(join(tmpdir(), "band-decision-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function plan(dir: string, budget: number, extra: { stages?: number; ranges?: "global" | "local" } = {}) {
  const { model } = readModel(join(dir, "onnx", "vision_encoder.onnx"));
  const graph = model.graph!;
  const o = defaultOptions({ budget });
  return planBandedVision(
    graph,
    { pixel_values: { type: 1, dims: [1, 3, 768, 768] } },
    new Map(graph.initializer.map((t) => [t.name, t])),
    { windowSize: 12, heads: [1, 1, 2, 4] },
    { calibration: o.calibration, target: o.target, budget: o.budget, bandRows: 0, ...extra },
  );
}

/** DaViT stages the planner bands for a stage budget (0: none). */
function bandedStages(dir: string, budget: number): number {
  return plan(dir, budget)?.stages ?? 0;
}

describe("band decision (tiny int8: maps 192², 96², 48², 24² at 768²)", () => {
  let src: string;
  let perMap: string;
  const budgets = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 4096].map((m) => m * MiB);
  let banded: number[];

  beforeAll(() => {
    src = join(tmp, "int8");
    quantizeFolder(tinyModelDir(), src, {});
    perMap = join(tmp, "int8-per-map");
    quantizeFolder(tinyModelDir(), perMap, { rangeBlockMinHeight: 0 });
    banded = budgets.map((b) => bandedStages(src, b));
  });

  it("bands fewer stages as the budget grows, none when every segment fits whole", () => {
    for (let i = 1; i < banded.length; i++) expect(banded[i]).toBeLessThanOrEqual(banded[i - 1]!);
    expect(banded.at(-1)).toBe(0);
    // With no room at all, stages 0–2; never stage 3, whose map is 2 windows high.
    expect(banded[0]).toBe(3);
    // A Worker's 128 MiB holds tiny's largest segment whole (stage 0's window attention: 21 MB of scores):
    // nothing is banded, although its activations exceed half of what the stage leaves for them.
    expect(banded[budgets.indexOf(128 * MiB)]).toBe(0);
  });

  it("global activation ranges (statistics passes) unless the model quantizes per band or local ranges are asked for", () => {
    expect(defaultOptions().bandRanges).toBe("global");
    const minmax = (dir: string, ranges?: "global" | "local") =>
      plan(dir, 128 * MiB, { stages: 3, ranges })!
        .passes.filter((p) => p.output.kind === "stat" && p.output.reduce === "minmax")
        .map((p) => p.group.output.height);
    // The quantizer's default gives stages 0–1 (192², 96²) one range per band (quant/range-blocks.ts): only
    // stage 2 (48²) gathers whole-map ranges.
    expect(new Set(minmax(src))).toEqual(new Set([48]));
    // Whole-map ranges everywhere (quantized with --range-block-min-height 0): every banded stage gathers them.
    expect(new Set(minmax(perMap))).toEqual(new Set([192, 96, 48]));
    expect(minmax(perMap, "local")).toHaveLength(0);
    // Channel attention's qᵀk still needs every band's tokens.
    const sums = plan(src, 128 * MiB, { stages: 2, ranges: "local" })!.passes.filter(
      (p) => p.output.kind === "stat" && p.output.reduce === "sum",
    );
    expect(sums.length).toBeGreaterThan(0);
  });

  it("a budget where only stage 0 (192²) does not fit bands stage 0 alone, and the split equals the model", async () => {
    const i = banded.indexOf(1);
    expect(i, `banded stages per budget: ${banded.join(", ")}`).toBeGreaterThanOrEqual(0);
    const out = join(tmp, "split");
    const manifest: SplitManifest = splitModel(
      src,
      out,
      defaultOptions({ budget: budgets[i]!, chunkBytes: 100 * 1024, pieceBytes: 40 * 1024, maxRows: 1 }),
    ).manifest;
    const steps = manifest.stages
      .filter((s) => s.role === "vision")
      .flatMap((s) => (s.program.kind === "sequence" ? s.program.steps : []));
    const bands = steps.filter((s) => s.kind === "band");
    expect(bands.length).toBeGreaterThan(0);
    // Every band pass belongs to DaViT stage 0 (192² output); stages 1–3 run as whole graphs.
    for (const b of bands) if (b.kind === "band") expect(b.outHeight).toBe(192);
    expect(steps.some((s) => s.kind === "graph")).toBe(true);

    const ort = await loadOrtWeb("wasm");
    const wasmModule = await compileOrtWasm();
    const whole = await createOrtWebNodeEngine({
      modelDir: src,
      build: "wasm",
      precompiled: true,
      numThreads: 1,
    });
    const staged = await createStagedWebEngine({ loadFile: fileLoader(out), ort, wasmModule, numThreads: 1 });
    try {
      const px = normalizeToChw(testPicture(768, 768), 768);
      const [a, b] = [
        await whole.encodeImage(px, [1, 3, 768, 768]),
        await staged.encodeImage(px, [1, 3, 768, 768]),
      ];
      expect(b.length).toBe(a.length);
      let m = 0;
      for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
      expect(m).toBeLessThanOrEqual(1e-5);
    } finally {
      await whole.release();
      await staged.release();
    }
  });
});
