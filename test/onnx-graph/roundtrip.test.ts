// The graph library against onnxruntime-node (an independent ONNX implementation): models we build and write
// (inline, external, chunked external, with If subgraphs reading outer-scope weights) load and compute what
// plain arithmetic says they should.
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  DataType,
  GraphBuilder,
  makeModel,
  outerScopeReferences,
  Random,
  readModel,
  tensorToArray,
  walkGraphs,
  writeModel,
} from "../../onnx-graph";

function buildModel(rows: number, cols: number) {
  const rnd = new Random(7);
  const w = rnd.fork("w").normalArray(rows * cols, 1);
  const b = rnd.fork("b").normalArray(cols, 1);
  const g = new GraphBuilder("main");
  g.input("x", DataType.FLOAT, ["batch", rows]);
  g.input("flag", DataType.BOOL, [1]);
  g.initializer("W", w, [rows, cols]);
  g.initializer("B", b, [cols]);
  // then: x·W + B ; else: x·W (both read W/B from the outer scope, like optimum's merged decoder)
  const thenG = new GraphBuilder("then");
  thenG.reserve("x", "W", "B");
  const t = thenG.op("MatMul", ["x", "W"]);
  thenG.op("Add", [t, "B"], {}, { output: "y" });
  thenG.output("y", DataType.FLOAT, ["batch", cols]);
  const elseG = new GraphBuilder("else");
  elseG.op("MatMul", ["x", "W"], {}, { output: "y" });
  elseG.output("y", DataType.FLOAT, ["batch", cols]);
  g.node("If", ["flag"], { then_branch: thenG.build(), else_branch: elseG.build() }, { outputs: ["y"] });
  g.output("y", DataType.FLOAT, ["batch", cols]);
  return { model: makeModel(g.build(), { opsets: { "": 14 } }), w, b };
}

function expected(x: Float32Array, w: Float32Array, b: Float32Array | null, rows: number, cols: number) {
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = b ? b[j]! : 0;
    for (let i = 0; i < rows; i++) s += x[i]! * w[i * cols + j]!;
    out[j] = s;
  }
  return out;
}

async function run(path: string, x: Float32Array, flag: boolean, rows: number) {
  const s = await ort.InferenceSession.create(path);
  const r = await s.run({
    x: new ort.Tensor("float32", x, [1, rows]),
    flag: new ort.Tensor("bool", Uint8Array.from([flag ? 1 : 0]), [1]),
  });
  await s.release();
  return r.y!.data as Float32Array;
}

describe("onnx-graph write/read", () => {
  const rows = 32;
  const cols = 48;
  const dir = mkdtempSync(join(tmpdir(), "onnx-graph-"));
  const x = new Random(3).normalArray(rows, 1);

  it.each([
    ["inline", undefined],
    ["external", { threshold: 1024 }],
    ["chunked external", { threshold: 100, maxFileBytes: 6200 }],
  ] as const)("%s: onnxruntime computes x·W (+B) through both If branches", async (label, externalData) => {
    const { model, w, b } = buildModel(rows, cols);
    const path = join(dir, `${label.replace(" ", "-")}.onnx`);
    const files = writeModel(path, model, externalData ? { externalData } : {});
    for (const f of files) expect(statSync(f.path).size).toBe(f.bytes);
    if (externalData && "maxFileBytes" in externalData) {
      expect(files.length).toBeGreaterThan(2);
      for (const f of files.slice(1)) expect(f.bytes).toBeLessThanOrEqual(externalData.maxFileBytes);
    }
    const withBias = await run(path, x, true, rows);
    const noBias = await run(path, x, false, rows);
    const eb = expected(x, w, b, rows, cols);
    const en = expected(x, w, null, rows, cols);
    for (let j = 0; j < cols; j++) {
      expect(withBias[j]).toBeCloseTo(eb[j]!, 4);
      expect(noBias[j]).toBeCloseTo(en[j]!, 4);
    }
    // Reading back gives the same weights, whichever way they were stored.
    const loaded = readModel(path);
    const W = loaded.model.graph!.initializer.find((t) => t.name === "W")!;
    expect(Array.from(tensorToArray(W, loaded.load) as Float32Array)).toEqual(Array.from(w));
  });

  it("refuses a tensor larger than the data-file limit", () => {
    const { model } = buildModel(rows, cols);
    expect(() => writeModel(join(dir, "big.onnx"), model, { externalData: { maxFileBytes: 1000 } })).toThrow(
      /does not fit/,
    );
  });

  it("rewrites a model read from external data (streams through the loader)", async () => {
    const { model, w, b } = buildModel(rows, cols);
    const src = join(dir, "src.onnx");
    writeModel(src, model, { externalData: { threshold: 16 } });
    const loaded = readModel(src);
    const dst = join(dir, "dst.onnx");
    writeModel(dst, loaded.model, { load: loaded.load });
    expect(readdirSync(dir)).toContain("dst.onnx");
    const y = await run(dst, x, true, rows);
    const e = expected(x, w, b, rows, cols);
    for (let j = 0; j < cols; j++) expect(y[j]).toBeCloseTo(e[j]!, 4);
  });

  it("walks subgraphs and finds their outer-scope references", () => {
    const { model } = buildModel(4, 4);
    const visits = [...walkGraphs(model.graph!)];
    expect(visits.map((v) => v.graph.name)).toEqual(["main", "then", "else"]);
    expect(visits[1]!.attribute).toBe("then_branch");
    expect([...outerScopeReferences(visits[1]!.graph)].sort()).toEqual(["B", "W", "x"]);
    expect([...outerScopeReferences(visits[2]!.graph)].sort()).toEqual(["W", "x"]);
  });
});
