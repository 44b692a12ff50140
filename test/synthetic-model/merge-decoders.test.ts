// mergeDecoders against optimum's documented behaviour (FLORENCE2-ARCHITECTURE.md §5.3; optimum
// `merge_decoders` / `_unify_onnx_outputs` / `_deduplicated_cross_model_initializers`) on two toy decoders,
// and against onnxruntime running each source model on its own: the merged If must compute what its
// branches' source models compute.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  AttributeType,
  DataType,
  GraphBuilder,
  ModelProtoSchema,
  Random,
  attributeValue,
  makeModel,
  tensorToArray,
  tensorTypeOf,
  writeModel,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from "../../onnx-graph";
import { mergeDecoders } from "../../synthetic-model/merge-decoders";

const rnd = new Random(11);
const W = rnd.fork("W").normalArray(12, 1);
const W2 = rnd.fork("W2").normalArray(12, 1);
const B = rnd.fork("B").normalArray(3, 1);

/** "No past": y = reshape(x·W + B), enc = reshape(2x) [batch, 2, s], kv = 2(x·W + B). */
function noPastModel(opset = 14, encDims: (string | number)[] = ["batch_size", 2, "s"]): ModelProto {
  const g = new GraphBuilder("decoder");
  g.input("x", DataType.FLOAT, ["batch_size", 4]);
  g.initializer("onnx::MatMul_1", W, [4, 3]);
  g.initializer("B", B, [3]);
  g.initializer("scale", Float32Array.of(2), []);
  g.initializer("shape_c", BigInt64Array.of(-1n, 3n), [2]);
  const a = g.op("Add", [g.op("MatMul", ["x", "onnx::MatMul_1"]), "B"]);
  g.op("Reshape", [a, "shape_c"], {}, { output: "y" });
  g.op(
    "Reshape",
    [g.op("Mul", ["x", "scale"]), g.constant(BigInt64Array.of(0n, 2n, -1n), [3])],
    {},
    { output: "enc" },
  );
  g.op("Mul", [a, "scale"], {}, { output: "kv" });
  g.output("y", DataType.FLOAT, ["batch_size", 3]);
  g.output("enc", DataType.FLOAT, encDims);
  g.output("kv", DataType.FLOAT, ["batch_size", 3]);
  return makeModel(g.build(), { opsets: { "": opset } });
}

/** "With past": y = x·W + B + p (W under another name), kv = x·W2 + p (W2 under the no-past W's name). */
function withPastModel(opts: { extraOutput?: boolean; yDims?: (string | number)[] } = {}): ModelProto {
  const g = new GraphBuilder("decoder_with_past");
  g.input("x", DataType.FLOAT, ["batch_size", 4]);
  g.input("p", DataType.FLOAT, ["batch_size", 3]);
  g.initializer("onnx::MatMul_1", W2, [4, 3]);
  g.initializer("onnx::MatMul_7", W, [4, 3]);
  g.initializer("B", B, [3]);
  g.op("Add", [g.op("Add", [g.op("MatMul", ["x", "onnx::MatMul_7"]), "B"]), "p"], {}, { output: "y" });
  g.op("Add", [g.op("MatMul", ["x", "onnx::MatMul_1"]), "p"], {}, { output: "kv" });
  g.output("y", DataType.FLOAT, opts.yDims ?? ["batch_size", 3]);
  g.output("kv", DataType.FLOAT, ["batch_size", 3]);
  if (opts.extraOutput) {
    g.op("Identity", ["p"], {}, { output: "extra" });
    g.output("extra", DataType.FLOAT, ["batch_size", 3]);
  }
  return makeModel(g.build(), { opsets: { "": 14 } });
}

const branchOf = (m: ModelProto, attr: string): GraphProto =>
  m.graph!.node[0]!.attribute.find((a) => a.name === attr && a.type === AttributeType.GRAPH)!.g!;
const dims = (vi: { name: string }[]) => vi.map((v) => [v.name, tensorTypeOf(v as never)?.dims]);
const values = (t: TensorProto) => Array.from(tensorToArray(t) as Float32Array);

describe("mergeDecoders (optimum merge_decoders, strict=false)", () => {
  it("builds one If `optimum::if` (then = with_past, else = no_past) in graph `merged`, IR 9, producer optimum-onnx", () => {
    const m = mergeDecoders(noPastModel(), withPastModel());
    expect([m.irVersion, m.producerName, m.graph!.name]).toEqual([9n, "optimum-onnx", "merged"]);
    expect(m.opsetImport.map((o) => [o.domain, o.version])).toEqual([["", 14n]]);
    const [ifNode] = m.graph!.node;
    expect(m.graph!.node).toHaveLength(1);
    expect([ifNode!.opType, ifNode!.name, ifNode!.input, ifNode!.output]).toEqual([
      "If",
      "optimum::if",
      ["use_cache_branch"],
      ["y", "enc", "kv"],
    ]);
    expect([branchOf(m, "then_branch").name, branchOf(m, "else_branch").name]).toEqual([
      "with_past",
      "no_past",
    ]);
    expect([branchOf(m, "then_branch").input, branchOf(m, "else_branch").input]).toEqual([[], []]);
  });

  it("inputs: union of both decoders' inputs, no-past first, then use_cache_branch bool [1]", () => {
    const m = mergeDecoders(noPastModel(), withPastModel());
    expect(dims(m.graph!.input)).toEqual([
      ["x", ["batch_size", 4]],
      ["p", ["batch_size", 3]],
      ["use_cache_branch", [1]],
    ]);
    expect(tensorTypeOf(m.graph!.input[2]!)!.elemType).toBe(DataType.BOOL);
  });

  it("outputs: the missing one becomes an empty Constant at its index (first symbolic dim 0, later ones 1); shapes follow the no-past decoder", () => {
    const m = mergeDecoders(noPastModel(), withPastModel({ yDims: ["batch_size", "three"] }));
    const wp = branchOf(m, "then_branch");
    const np = branchOf(m, "else_branch");
    expect(dims(m.graph!.output)).toEqual([
      ["y", ["batch_size", 3]],
      ["enc", ["batch_size", 2, "s"]],
      ["kv", ["batch_size", 3]],
    ]);
    expect(dims(wp.output)).toEqual(dims(np.output));
    const c = wp.node[wp.node.length - 1]!;
    expect([c.opType, c.name, c.output]).toEqual(["Constant", `Constant_${wp.node.length}`, ["enc"]]);
    const value = attributeValue(c.attribute[0]!) as TensorProto;
    expect([value.name, value.dataType, value.dims]).toEqual(["const_tensor", DataType.FLOAT, [0n, 2n, 1n]]);
    expect(value.rawData.length + value.floatData.length).toBe(0);
  });

  it("initializers: weights deduplicated by content into the outer graph as <name>_merged_<k>; shape constants stay in their branch", () => {
    const m = mergeDecoders(noPastModel(), withPastModel());
    const outer = m.graph!.initializer;
    // W appears in both (as onnx::MatMul_1 and onnx::MatMul_7) → one copy; W2 reuses the name onnx::MatMul_1 → k = 1.
    expect(outer.map((t) => t.name)).toEqual([
      "onnx::MatMul_1_merged_0",
      "B_merged_0",
      "onnx::MatMul_1_merged_1",
    ]);
    expect(values(outer[0]!)).toEqual(Array.from(W));
    expect(values(outer[2]!)).toEqual(Array.from(W2));
    const np = branchOf(m, "else_branch");
    const wp = branchOf(m, "then_branch");
    expect(np.initializer.map((t) => t.name)).toEqual(["scale", "shape_c"]);
    expect(wp.initializer).toEqual([]);
    expect(np.node[0]!.input).toEqual(["x", "onnx::MatMul_1_merged_0"]);
    expect(wp.node.map((n) => n.input.filter((i) => i.includes("merged")))).toEqual([
      ["onnx::MatMul_1_merged_0"],
      ["B_merged_0"],
      [],
      ["onnx::MatMul_1_merged_1"],
      [],
      [],
    ]);
  });

  it("leaves its inputs untouched", () => {
    const a = noPastModel();
    const b = withPastModel();
    const [a0, b0] = [clone(ModelProtoSchema, a), clone(ModelProtoSchema, b)];
    mergeDecoders(a, b);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
  });

  it("refuses what optimum refuses: strict with differing outputs, extra with-past outputs, opset mismatch, a static missing output", () => {
    expect(() => mergeDecoders(noPastModel(), withPastModel(), { strict: true })).toThrow(/strict/);
    expect(() => mergeDecoders(noPastModel(), withPastModel({ extraOutput: true }))).toThrow(
      /must not have outputs/,
    );
    expect(() => mergeDecoders(noPastModel(13), withPastModel())).toThrow(/opset/);
    expect(() => mergeDecoders(noPastModel(14, [2, 2, 2]), withPastModel())).toThrow(/static shape/);
  });

  it("computes in onnxruntime what each source decoder computes on its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "merge-decoders-"));
    const paths = { np: join(dir, "np.onnx"), wp: join(dir, "wp.onnx"), merged: join(dir, "merged.onnx") };
    writeModel(paths.np, noPastModel());
    writeModel(paths.wp, withPastModel());
    writeModel(paths.merged, mergeDecoders(noPastModel(), withPastModel()));
    const x = new ort.Tensor("float32", new Random(3).normalArray(8, 1), [2, 4]);
    const p = new ort.Tensor("float32", new Random(4).normalArray(6, 1), [2, 3]);
    const run = async (path: string, feeds: Record<string, ort.Tensor>) => {
      const s = await ort.InferenceSession.create(path);
      try {
        return await s.run(feeds);
      } finally {
        await s.release();
      }
    };
    const flag = (v: boolean) => new ort.Tensor("bool", Uint8Array.of(v ? 1 : 0), [1]);
    const [np, wp, mNo, mWith] = await Promise.all([
      run(paths.np, { x }),
      run(paths.wp, { x, p }),
      run(paths.merged, { x, p, use_cache_branch: flag(false) }),
      run(paths.merged, { x, p, use_cache_branch: flag(true) }),
    ]);
    for (const k of ["y", "enc", "kv"]) {
      expect(mNo[k]!.dims).toEqual(np[k]!.dims);
      expect(Array.from(mNo[k]!.data as Float32Array)).toEqual(Array.from(np[k]!.data as Float32Array));
    }
    for (const k of ["y", "kv"])
      expect(Array.from(mWith[k]!.data as Float32Array)).toEqual(Array.from(wp[k]!.data as Float32Array));
    expect(mWith.enc!.dims).toEqual([0, 2, 1]);
    expect(mNo.enc!.dims).toEqual([2, 2, 2]);
  });
});
