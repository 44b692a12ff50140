// A model with no weights to speak of: its session's WASM memory is onnxruntime-web's own footprint, the
// baseline that per-graph memory measurements are compared with.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataType, GraphBuilder, makeModel, writeModel } from "../../onnx-graph";

export function baselineModelPath(): string {
  const g = new GraphBuilder("baseline");
  g.input("x", DataType.FLOAT, [1, 4]);
  g.op("Add", ["x", g.initializer("b", new Float32Array(4), [4])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [1, 4]);
  const path = join(mkdtempSync(join(tmpdir(), "quant-baseline-")), "baseline.onnx");
  writeModel(path, makeModel(g.build(), { opsets: { "": 17 } }));
  return path;
}
