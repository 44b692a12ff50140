// vision_encoder.onnx of the synthetic generator, run by onnxruntime-node and checked against an independent
// float64 forward pass written from the architecture spec (davit-reference.ts), which reads only the weights
// back from the written file. Covers the production 768×768 path (577 tokens), window padding (a non-square
// input whose stage sizes are not multiples of 12), batching, and the base preset's parameter inventory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dimsOf,
  Random,
  readModel,
  tensorToArray,
  tensorTypeOf,
  writeModel,
  type ModelProto,
} from "../../onnx-graph";
import { PRESETS } from "../../synthetic-model/presets";
import { buildVisionEncoder } from "../../synthetic-model/vision-encoder";
import { referenceVisionEncoder, type ReferenceWeights } from "./davit-reference";

const tiny = PRESETS.tiny;

function weightsOf(model: ModelProto): ReferenceWeights {
  const graph = model.graph!;
  const init = new Map(graph.initializer.map((t) => [t.name, t]));
  const tensor = (name: string) => {
    const t = init.get(name);
    if (!t) throw new Error(`no initializer ${name}`);
    return tensorToArray(t) as Float32Array;
  };
  return {
    tensor,
    linear(module) {
      // The exporter stores Linear weights transposed under `onnx::MatMul_N`; find the one this module multiplies by.
      const mm = graph.node.find((n) => n.opType === "MatMul" && n.name === `/${module}/MatMul`);
      const wName = mm?.input[1];
      if (!wName?.startsWith("onnx::MatMul_")) throw new Error(`no MatMul weight for ${module}`);
      return { w: tensor(wName), b: tensor(`${module}.bias`) };
    },
  };
}

/** max |a − b| / max |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (process.env.VISION_DEBUG) console.log(`relative error ${diff / scale}`);
  return diff / scale;
}

/** Mean over channels of the standard deviation across tokens. */
function tokenSpread(y: Float32Array, tokens: number, dim: number): number {
  let total = 0;
  for (let k = 0; k < dim; k++) {
    let m = 0;
    for (let t = 0; t < tokens; t++) m += y[t * dim + k]!;
    m /= tokens;
    let v = 0;
    for (let t = 0; t < tokens; t++) v += (y[t * dim + k]! - m) ** 2;
    total += Math.sqrt(v / tokens);
  }
  if (process.env.VISION_DEBUG) console.log(`token spread ${total / dim}`);
  return total / dim;
}

describe("vision_encoder.onnx (tiny preset)", () => {
  let session: ort.InferenceSession;
  let model: ModelProto;
  let weights: ReferenceWeights;
  const dModel = tiny.text.dModel;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vision-encoder-")), "vision_encoder.onnx");
    writeModel(path, buildVisionEncoder(tiny, new Random(20240621)).model);
    model = readModel(path).model;
    weights = weightsOf(model);
    session = await ort.InferenceSession.create(path);
  });
  afterAll(async () => {
    await session?.release();
  });

  async function run(pixels: Float32Array, batch: number, h: number, w: number): Promise<ort.Tensor> {
    const r = await session.run({ pixel_values: new ort.Tensor("float32", pixels, [batch, 3, h, w]) });
    return r.image_features!;
  }

  it("declares the onnx-community I/O: pixel_values [batch_size, 3, height, width] → image_features", () => {
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 14]]);
    const g = model.graph!;
    expect(g.input.map((i) => [i.name, tensorTypeOf(i)?.dims])).toEqual([
      ["pixel_values", ["batch_size", 3, "height", "width"]],
    ]);
    const out = tensorTypeOf(g.output[0]!)!;
    expect(g.output[0]!.name).toBe("image_features");
    expect(out.dims![0]).toBe("batch_size");
    expect(typeof out.dims![1]).toBe("string");
    expect(out.dims![2]).toBe(dModel);
  });

  it("writes torch-export node patterns: Conv, decomposed LayerNorm, erf GELU, dynamic Pad/Slice, MatMul weights", () => {
    const ops = new Set(model.graph!.node.map((n) => n.opType));
    for (const op of [
      "Conv",
      "ReduceMean",
      "Erf",
      "Pad",
      "Mod",
      "Slice",
      "Softmax",
      "Range",
      "Tile",
      "Shape",
      "Gather",
      "Concat",
    ]) {
      expect(ops, op).toContain(op);
    }
    expect(ops).not.toContain("LayerNormalization");
    const names = model.graph!.initializer.map((t) => t.name);
    expect(names).toContain("vision_tower.blocks.0.0.spatial_block.conv1.fn.dw.weight");
    expect(names).toContain("image_pos_embed.column_embeddings.weight");
    expect(names.filter((n) => n.startsWith("onnx::MatMul_"))).toHaveLength(
      4 * 2 * tiny.vision.depths.reduce((a, b) => a + b),
    );
  });

  it("768×768 random pixels: [1, 577, d], finite and varied", async () => {
    const y = await run(new Random(1).normalArray(3 * 768 * 768, 1), 1, 768, 768);
    expect(y.dims).toEqual([1, 577, dModel]);
    const data = y.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
    expect(tokenSpread(data, 577, dModel)).toBeGreaterThan(0.5);
  });

  // The graph is the same at every size (nothing is baked), so the unpadded path is compared at 384×384
  // (stages 96, 48, 24, 12: all multiples of 12) where the naive reference takes a few seconds, not 10.
  it("384×384 (no window padding) equals the float64 reference", async () => {
    const x = new Random(1).normalArray(3 * 384 * 384, 1);
    const y = await run(x, 1, 384, 384);
    expect(y.dims).toEqual([1, 1 + 12 * 12, dModel]);
    const ref = referenceVisionEncoder(x, 384, 384, tiny.vision, weights);
    expect(ref.length).toBe(y.data.length);
    expect(relError(y.data as Float32Array, ref)).toBeLessThan(1e-4);
  });

  it("768×768 all-zero pixels: finite and still varied (positions, borders)", async () => {
    const y = await run(new Float32Array(3 * 768 * 768), 1, 768, 768);
    expect(y.dims).toEqual([1, 577, dModel]);
    const data = y.data as Float32Array;
    expect(data.every(Number.isFinite)).toBe(true);
    expect(tokenSpread(data, 577, dModel)).toBeGreaterThan(0.1);
  });

  it("window padding: 200×248 (stages 50×62, 25×31, 13×16, 7×8) matches the reference", async () => {
    const [h, w] = [200, 248];
    const x = new Random(2).normalArray(3 * h * w, 1);
    const y = await run(x, 1, h, w);
    expect(y.dims).toEqual([1, 1 + 7 * 8, dModel]);
    const ref = referenceVisionEncoder(x, h, w, tiny.vision, weights);
    expect(relError(y.data as Float32Array, ref)).toBeLessThan(1e-4);
  });

  it("a batch of two images gives each image's own features", async () => {
    const [h, w] = [136, 100];
    const a = new Random(3).normalArray(3 * h * w, 1);
    const b = new Random(4).normalArray(3 * h * w, 1);
    const both = new Float32Array(2 * a.length);
    both.set(a);
    both.set(b, a.length);
    const y = (await run(both, 2, h, w)).data as Float32Array;
    const half = y.length / 2;
    expect(relError(y.subarray(0, half), referenceVisionEncoder(a, h, w, tiny.vision, weights))).toBeLessThan(
      1e-4,
    );
    expect(relError(y.subarray(half), referenceVisionEncoder(b, h, w, tiny.vision, weights))).toBeLessThan(
      1e-4,
    );
  });
});

/** A Random whose "weights" are untouched zero pages: the base graph is built without drawing 91 M normals. */
class ShapeOnlyRandom extends Random {
  override fork(): Random {
    return this;
  }
  override normalArray(n: number): Float32Array {
    return new Float32Array(n);
  }
}

describe("vision_encoder.onnx (base preset inventory)", () => {
  it("holds the 91,207,168 learned parameters of Florence-2-base's vision encoder (ARCHITECTURE §4.1)", () => {
    const { model, stats } = buildVisionEncoder(PRESETS.base, new ShapeOnlyRandom(0));
    expect(stats.params).toBe(91_207_168);
    const init = model.graph!.initializer;
    const count = (pred: (name: string) => boolean) =>
      init.filter((t) => pred(t.name)).reduce((a, t) => a + dimsOf(t).reduce((p, d) => p * d, 1), 0);
    // Everything but the fixed cosine buffer is learned; the buffer is 100 × 1024.
    expect(count((n) => n !== "visual_temporal_embed.pos_idx_to_embed")).toBe(91_207_168);
    expect(count((n) => n === "visual_temporal_embed.pos_idx_to_embed")).toBe(102_400);
    expect(count((n) => n.startsWith("vision_tower.") || n.startsWith("onnx::MatMul_"))).toBe(90_368_000);
    // 12 depth units × 2 halves × (qkv, proj, fc1, fc2) Linear weights.
    expect(init.filter((t) => t.name.startsWith("onnx::MatMul_"))).toHaveLength(96);
    const shape = (name: string) => dimsOf(init.find((t) => t.name === name)!);
    expect(shape("vision_tower.convs.3.proj.weight")).toEqual([1024, 512, 3, 3]);
    expect(shape("vision_tower.convs.1.norm.weight")).toEqual([128]);
    expect(shape("vision_tower.blocks.2.8.channel_block.conv2.fn.dw.weight")).toEqual([512, 1, 3, 3]);
    expect(shape("image_projection")).toEqual([1024, 768]);
    expect(shape("image_pos_embed.row_embeddings.weight")).toEqual([50, 512]);
  });
});
