// A model with no weights to speak of: its session's WASM memory is onnxruntime-web's own footprint, the
// baseline that per-graph memory measurements are compared with. Written once per process, removed at exit.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataType, GraphBuilder, makeModel, writeModel } from "../../onnx-graph";

let path: string | undefined;

export function baselineModelPath(): string {
  if (path) return path;
  const g = new GraphBuilder("baseline");
  g.input("x", DataType.FLOAT, [1, 4]);
  g.op("Add", ["x", g.initializer("b", new Float32Array(4), [4])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [1, 4]);
  const p = join(tmpdir(), `quant-baseline-${process.pid}.onnx`);
  writeModel(p, makeModel(g.build(), { opsets: { "": 17 } }));
  process.on("exit", () => rmSync(p, { force: true }));
  path = p;
  return p;
}
