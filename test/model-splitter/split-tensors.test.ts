// Weights larger than a stored file are split into blocks by rewriting their readers; the rewritten graphs must
// compute exactly what the originals do (checked with onnxruntime-node on hand-built graphs).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import {
  DataType,
  GraphBuilder,
  makeModel,
  tensorByteLength,
  writeModel,
  type GraphProto,
} from "../../onnx-graph";
import { splitLargeTensors } from "../../model-splitter/rewrite/split-tensors";

const dir = mkdtempSync(join(tmpdir(), "split-tensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(graph: GraphProto, name: string, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const path = join(dir, `${name}.onnx`);
  writeModel(path, makeModel(graph, { opsets: { "": 17, "com.microsoft": 1 } }));
  const s = await ort.InferenceSession.create(path);
  const out = await s.run(feeds);
  await s.release();
  return out[graph.output[0]!.name]!;
}

function gatherGraph(rows: number, cols: number, type: DataType): GraphProto {
  const g = new GraphBuilder("gather");
  g.input("ids", DataType.INT64, [2, "n"]);
  const data =
    type === DataType.INT8
      ? Int8Array.from({ length: rows * cols }, (_, i) => ((i * 37) % 255) - 127)
      : Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
  g.op("Gather", [g.initializer("table", data, [rows, cols], type), "ids"], { axis: 0 }, { output: "rows" });
  g.output("rows", type, [2, "n", cols]);
  return g.build();
}

describe("splitLargeTensors", () => {
  for (const type of [DataType.FLOAT, DataType.INT8]) {
    it(`Gather on a ${DataType[type]} table: row blocks give the same rows for ids in every block`, async () => {
      const original = gatherGraph(1000, 24, type);
      const rewritten = gatherGraph(1000, 24, type);
      const limit = Math.ceil(tensorByteLength(rewritten.initializer[0]!) / 3);
      const reports = splitLargeTensors(rewritten, limit);
      expect(reports).toHaveLength(1);
      expect(reports[0]!.blocks).toBeGreaterThanOrEqual(3);
      for (const t of rewritten.initializer) expect(tensorByteLength(t)).toBeLessThanOrEqual(limit);
      // First, last and block-boundary rows, repeated and unordered.
      const ids = [0, 333, 334, 999, 666, 667, 5, 333, 998, 1, 700, 0];
      const feeds = { ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [2, 6]) };
      const [a, b] = [await run(original, `g${type}a`, feeds), await run(rewritten, `g${type}b`, feeds)];
      expect(b.dims).toEqual(a.dims);
      expect(Array.from(b.data as ArrayLike<number>)).toEqual(Array.from(a.data as ArrayLike<number>));
    });
  }

  it("MatMul and DynamicQuantizeMatMul: column blocks with their scales and bias give the same outputs", async () => {
    const build = (quant: boolean) => {
      const g = new GraphBuilder("mm");
      g.input("x", DataType.FLOAT, [3, 16]);
      const w = quant
        ? g.initializer(
            "w",
            Int8Array.from({ length: 16 * 900 }, (_, i) => ((i * 31) % 255) - 127),
            [16, 900],
          )
        : g.initializer(
            "w",
            Float32Array.from({ length: 16 * 900 }, (_, i) => Math.cos(i)),
            [16, 900],
          );
      if (quant) {
        const scale = g.initializer(
          "scale",
          Float32Array.from({ length: 900 }, (_, i) => 0.001 + i * 1e-5),
          [900],
        );
        const bias = g.initializer(
          "bias",
          Float32Array.from({ length: 900 }, (_, i) => i / 900),
          [900],
        );
        g.op(
          "DynamicQuantizeMatMul",
          ["x", w, scale, "", bias],
          {},
          { output: "y", domain: "com.microsoft" },
        );
      } else g.op("MatMul", ["x", w], {}, { output: "y" });
      g.output("y", DataType.FLOAT, [3, 900]);
      return g.build();
    };
    for (const quant of [false, true]) {
      const original = build(quant);
      const rewritten = build(quant);
      const limit = Math.ceil(tensorByteLength(rewritten.initializer[0]!) / 2);
      expect(splitLargeTensors(rewritten, limit)[0]!.blocks).toBeGreaterThanOrEqual(2);
      const x = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.7) * 3);
      const feeds = { x: new ort.Tensor("float32", x, [3, 16]) };
      const [a, b] = [await run(original, `m${quant}a`, feeds), await run(rewritten, `m${quant}b`, feeds)];
      expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    }
  });
});
