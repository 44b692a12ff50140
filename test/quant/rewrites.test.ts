// The graph rewrites on small hand-built models, checked with onnxruntime-node against plain fp32 arithmetic
// done here in the test (the quantized graph must compute x·W + b, not merely load), and structurally
// (which ops replaced which, what stayed fp32, where the int8 weights live).
import { toBinary } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  DataType,
  dimsOf,
  GraphBuilder,
  makeModel,
  ModelProtoSchema,
  opHistogram,
  Random,
  walkGraphs,
  type ModelProto,
} from "../../onnx-graph";
import { quantizeModel } from "../../quant/quantize-model";
import { cosine } from "../../bench/quant/stats";

const K = 48;
const N = 40;
const rnd = new Random(21);
const W = rnd.fork("W").normalArray(K * N, 0.1);
const B = rnd.fork("B").normalArray(N, 0.1);
const X = rnd.fork("X").normalArray(3 * K, 1);

/** x [rows × K] · w [K × N] (+ b) in float64. */
function linear(x: Float32Array, w: Float32Array, b: Float32Array | null, rows: number): Float64Array {
  const y = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < N; j++) {
      let s = b ? b[j]! : 0;
      for (let i = 0; i < K; i++) s += x[r * K + i]! * w[i * N + j]!;
      y[r * N + j] = s;
    }
  }
  return y;
}

async function run(
  model: ModelProto,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
  const r = await s.run(feeds);
  await s.release();
  return r;
}

const x3 = () => new ort.Tensor("float32", X, [1, 3, K]);
const initNames = (m: ModelProto) =>
  [...walkGraphs(m.graph!)].flatMap((v) => v.graph.initializer.map((t) => t.name));
const int8Inits = (m: ModelProto) => m.graph!.initializer.filter((t) => t.dataType === DataType.INT8);

describe("quantizeModel rewrites", () => {
  it("MatMul + bias Add (exporter's Linear) → one DynamicQuantizeMatMul with the bias fused, close to x·W + b", async () => {
    const g = new GraphBuilder("linear");
    g.input("x", DataType.FLOAT, [1, 3, K]);
    const y = g.op("MatMul", ["x", g.initializer("onnx::MatMul_7", W, [K, N])]);
    g.op("Add", [g.initializer("fc.bias", B, [N]), y], {}, { output: "y" });
    g.output("y", DataType.FLOAT, [1, 3, N]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    const report = quantizeModel(m);
    expect(Object.fromEntries(opHistogram(m.graph!))).toEqual({ "com.microsoft::DynamicQuantizeMatMul": 1 });
    expect(report.rewrites).toEqual({ "MatMul→DynamicQuantizeMatMul": 1, "bias Add fused": 1 });
    expect(initNames(m).sort()).toEqual(["fc.bias", "onnx::MatMul_7_quantized", "onnx::MatMul_7_scale"]);
    expect(dimsOf(int8Inits(m)[0]!)).toEqual([K, N]);
    const out = (await run(m, { x: x3() })).y!;
    expect(out.dims).toEqual([1, 3, N]);
    expect(cosine(out.data as Float32Array, linear(X, W, B, 3))).toBeGreaterThan(0.9995);
  });

  it("does not fuse the bias when the MatMul output has a second reader", async () => {
    const g = new GraphBuilder("two-readers");
    g.input("x", DataType.FLOAT, [1, 3, K]);
    const y = g.op("MatMul", ["x", g.initializer("W", W, [K, N])]);
    g.op("Add", [y, g.initializer("b", B, [N])], {}, { output: "y" });
    g.op("Relu", [y], {}, { output: "z" });
    g.output("y", DataType.FLOAT, [1, 3, N]);
    g.output("z", DataType.FLOAT, [1, 3, N]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    expect(quantizeModel(m).rewrites).toEqual({ "MatMul→DynamicQuantizeMatMul": 1 });
    const r = await run(m, { x: x3() });
    expect(cosine(r.y!.data as Float32Array, linear(X, W, B, 3))).toBeGreaterThan(0.9995);
    const relu = Array.from(linear(X, W, null, 3), (v) => Math.max(0, v));
    expect(cosine(r.z!.data as Float32Array, relu)).toBeGreaterThan(0.9995);
  });

  it("Gemm with transB = 1 and a bias: the weight is transposed before per-column quantization", async () => {
    const wt = new Float32Array(N * K); // stored [N, K]
    for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) wt[j * K + i] = W[i * N + j]!;
    const g = new GraphBuilder("gemm");
    g.input("x", DataType.FLOAT, [3, K]);
    g.op(
      "Gemm",
      ["x", g.initializer("Wt", wt, [N, K]), g.initializer("b", B, [N])],
      { transB: 1 },
      { output: "y" },
    );
    g.output("y", DataType.FLOAT, [3, N]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    expect(quantizeModel(m).rewrites).toEqual({ "Gemm→DynamicQuantizeMatMul": 1 });
    expect(dimsOf(int8Inits(m)[0]!)).toEqual([K, N]);
    const r = await run(m, { x: new ort.Tensor("float32", X, [3, K]) });
    expect(cosine(r.y!.data as Float32Array, linear(X, W, B, 3))).toBeGreaterThan(0.9995);
  });

  it("follows Identity to the weight, then drops the Identity and the fp32 original", () => {
    const g = new GraphBuilder("identity");
    g.input("x", DataType.FLOAT, [1, 3, K]);
    const w = g.op("Identity", [g.initializer("W", W, [K, N])]);
    g.op("MatMul", ["x", w], {}, { output: "y" });
    g.output("y", DataType.FLOAT, [1, 3, N]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    quantizeModel(m);
    expect([...opHistogram(m.graph!).keys()]).toEqual(["com.microsoft::DynamicQuantizeMatMul"]);
    expect(initNames(m)).not.toContain("W");
  });

  it("If branches reading one outer weight: both rewritten, one int8 copy in the outer graph, both branches right", async () => {
    const g = new GraphBuilder("merged");
    g.input("x", DataType.FLOAT, [1, 3, K]);
    g.input("flag", DataType.BOOL, [1]);
    g.initializer("W", W, [K, N]);
    g.initializer("b", B, [N]);
    const thenG = new GraphBuilder("with_past");
    thenG.op("Add", [thenG.op("MatMul", ["x", "W"]), "b"], {}, { output: "y_then" });
    thenG.output("y_then", DataType.FLOAT, [1, 3, N]);
    const elseG = new GraphBuilder("no_past");
    elseG.op("MatMul", ["x", "W"], {}, { output: "y_else" });
    elseG.output("y_else", DataType.FLOAT, [1, 3, N]);
    g.node("If", ["flag"], { then_branch: thenG.build(), else_branch: elseG.build() }, { outputs: ["y"] });
    g.output("y", DataType.FLOAT, [1, 3, N]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    const report = quantizeModel(m);
    expect(report.quantized.count).toBe(1);
    expect(report.rewrites["MatMul→DynamicQuantizeMatMul"]).toBe(2);
    expect(int8Inits(m).map((t) => t.name)).toEqual(["W_quantized"]);
    expect(initNames(m).sort()).toEqual(["W_quantized", "W_scale", "b"]);
    for (const flag of [true, false]) {
      const r = await run(m, { x: x3(), flag: new ort.Tensor("bool", Uint8Array.of(flag ? 1 : 0), [1]) });
      expect(cosine(r.y!.data as Float32Array, linear(X, W, flag ? B : null, 3))).toBeGreaterThan(0.9995);
    }
  });

  it("--exclude and --min-elements keep weights fp32 and say why", () => {
    const g = new GraphBuilder("exclude");
    g.input("x", DataType.FLOAT, [1, 3, K]);
    const a = g.op(
      "MatMul",
      ["x", g.initializer("keep_me", W, [K, N])],
      {},
      { name: "/image_projection/MatMul" },
    );
    g.op("MatMul", [a, g.initializer("small", new Float32Array(N * 4), [N, 4])], {}, { output: "y" });
    g.output("y", DataType.FLOAT, [1, 3, 4]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    const report = quantizeModel(m, { exclude: [/image_projection/], minElements: 1024 });
    expect(report.quantized.count).toBe(0);
    expect(report.kept.map((k) => [k.weight, k.reason])).toEqual([
      ["keep_me", "excluded"],
      ["small", "small"],
    ]);
    expect([...opHistogram(m.graph!).keys()]).toEqual(["MatMul"]);
  });

  it("dense Conv → DequantizeLinear (int8, axis 0) + Conv; depthwise Conv stays fp32", async () => {
    const c = 8;
    const wDense = rnd.fork("conv").normalArray(c * 3 * 3 * 3, 0.2);
    const wDw = rnd.fork("dw").normalArray(c * 9, 0.2);
    const g = new GraphBuilder("conv");
    g.input("img", DataType.FLOAT, [1, 3, 16, 16]);
    const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
    const a = g.op(
      "Conv",
      [
        "img",
        g.initializer("proj.weight", wDense, [c, 3, 3, 3]),
        g.initializer("proj.bias", new Float32Array(c), [c]),
      ],
      { ...attrs, group: 1 },
    );
    g.op("Conv", [a, g.initializer("dw.weight", wDw, [c, 1, 3, 3])], { ...attrs, group: c }, { output: "y" });
    g.output("y", DataType.FLOAT, [1, c, 16, 16]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    const fp32 = toBinary(ModelProtoSchema, m);
    const report = quantizeModel(m, { minElements: 100 });
    expect(report.rewrites).toEqual({ "Conv→DequantizeLinear+Conv": 1 });
    expect(report.kept.map((k) => [k.weight, k.reason])).toEqual([["dw.weight", "grouped-conv"]]);
    expect(Object.fromEntries(opHistogram(m.graph!))).toEqual({ DequantizeLinear: 1, Conv: 2 });
    const img = new ort.Tensor("float32", rnd.fork("img").normalArray(3 * 256, 1), [1, 3, 16, 16]);
    const ref = await ort.InferenceSession.create(fp32);
    const want = (await ref.run({ img })).y!.data as Float32Array;
    await ref.release();
    const got = (await run(m, { img })).y!.data as Float32Array;
    expect(cosine(got, want)).toBeGreaterThan(0.9995);
  });

  it("token Gather (indices = graph input) → int8 rows × per-row scales; a Gather of computed indices stays", async () => {
    const v = 50;
    const table = rnd.fork("table").normalArray(v * 32, 1);
    const pos = rnd.fork("pos").normalArray(10 * 32, 0.02);
    const g = new GraphBuilder("embed");
    g.input("input_ids", DataType.INT64, [1, 4]);
    const tok = g.op("Gather", [g.initializer("shared.weight", table, [v, 32]), "input_ids"], { axis: 0 });
    const idx = g.op("Range", [
      g.constant(BigInt64Array.of(0n), []),
      g.constant(BigInt64Array.of(4n), []),
      g.constant(BigInt64Array.of(1n), []),
    ]);
    const p = g.op("Gather", [g.initializer("embed_positions.weight", pos, [10, 32]), idx], { axis: 0 });
    g.op("Add", [tok, p], {}, { output: "inputs_embeds" });
    g.output("inputs_embeds", DataType.FLOAT, [1, 4, 32]);
    const m = makeModel(g.build(), { opsets: { "": 14 } });
    const report = quantizeModel(m);
    expect(report.rewrites).toEqual({ "Gather→int8 Gather+scale": 1 });
    const scale = m.graph!.initializer.find((t) => t.name === "shared.weight_scale")!;
    expect(dimsOf(scale)).toEqual([v, 1]);
    expect(initNames(m)).toContain("embed_positions.weight");
    const ids = [3, 0, 49, 3];
    const got = (
      await run(m, { input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, 4]) })
    ).inputs_embeds!.data as Float32Array;
    for (let t = 0; t < 4; t++) {
      const want = Array.from({ length: 32 }, (_, d) => table[ids[t]! * 32 + d]! + pos[t * 32 + d]!);
      const row = got.subarray(t * 32, t * 32 + 32);
      // Per-row int8: each element within half a step of that row's own scale (max |row| / 127).
      const step = Math.max(...Array.from(table.subarray(ids[t]! * 32, ids[t]! * 32 + 32), Math.abs)) / 127;
      for (let d = 0; d < 32; d++) expect(Math.abs(row[d]! - want[d]!)).toBeLessThanOrEqual(step / 2 + 1e-6);
    }
  });
});

describe("column split of very wide weights", () => {
  it("splits a MatMul wider than splitAbove into balanced DynamicQuantizeMatMul blocks + Concat, same result", async () => {
    const k = 16;
    const n = 1000;
    const w = rnd.fork("wide").normalArray(k * n, 0.1);
    const x = rnd.fork("wide-x").normalArray(2 * k, 1);
    const build = () => {
      const g = new GraphBuilder("wide");
      g.input("x", DataType.FLOAT, [1, 2, k]);
      g.op("MatMul", ["x", g.initializer("lm_head", w, [k, n])], {}, { output: "y" });
      g.output("y", DataType.FLOAT, [1, 2, n]);
      return makeModel(g.build(), { opsets: { "": 14 } });
    };
    const whole = build();
    quantizeModel(whole, { minElements: 1, splitAbove: 0 });
    const split = build();
    const report = quantizeModel(split, { minElements: 1, splitAbove: 500, splitBlock: 300 });
    expect(report.rewrites["column-split MatMul"]).toBe(1);
    expect(report.quantized.count).toBe(1);
    // ceil(1000 / 300) = 4 blocks of 250 columns.
    expect(int8Inits(split).map((t) => dimsOf(t))).toEqual([
      [k, 250],
      [k, 250],
      [k, 250],
      [k, 250],
    ]);
    expect(Object.fromEntries(opHistogram(split.graph!))).toEqual({
      "com.microsoft::DynamicQuantizeMatMul": 4,
      Concat: 1,
    });
    const feeds = { x: new ort.Tensor("float32", x, [1, 2, k]) };
    const a = (await run(whole, feeds)).y!.data as Float32Array;
    const b = (await run(split, feeds)).y!.data as Float32Array;
    // Per-column scales do not depend on the split: the blocks compute what the whole weight does.
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
