// Per-node cost of onnxruntime-web (WASM, 1 thread): chains of 1, 100 and 400 tiny elementwise nodes on a
// [1, 1, 768] tensor; the slope is what each node of a decoder step costs besides its kernel's arithmetic.
//
//   npx tsx bench/quant/node-overhead.ts
import * as ortWeb from "onnxruntime-web";
import { toBinary } from "@bufbuild/protobuf";
import { DataType, GraphBuilder, makeModel, ModelProtoSchema, Random } from "../../onnx-graph";
ortWeb.env.wasm.numThreads = 1;
const r = new Random(1);
async function chain(n: number, width: number, op: string) {
  const g = new GraphBuilder("c");
  g.input("x", DataType.FLOAT, [1, 1, width]);
  let v = "x";
  const c = g.initializer("c", r.normalArray(width, 1), [width]);
  for (let i = 0; i < n; i++)
    v = g.op(op, op === "Add" ? [v, c] : [v], {}, i === n - 1 ? { output: "y" } : {});
  g.output("y", DataType.FLOAT, [1, 1, width]);
  const m = makeModel(g.build(), { opsets: { "": 17 } });
  return ortWeb.InferenceSession.create(toBinary(ModelProtoSchema, m as never), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
}
const x = new ortWeb.Tensor("float32", r.normalArray(768, 1), [1, 1, 768]);
const fns: [string, ortWeb.InferenceSession][] = [];
for (const n of [1, 100, 400])
  for (const op of ["Add", "Sigmoid"]) fns.push([`${op} x${n}`, await chain(n, 768, op)]);
const res: Record<string, number[]> = {};
for (let w = 0; w < 100; w++) for (const [, s] of fns) await s.run({ x });
for (let i = 0; i < 100; i++)
  for (const [n, s] of fns) {
    const c0 = process.cpuUsage();
    await s.run({ x });
    const c = process.cpuUsage(c0);
    (res[n] ??= []).push((c.user + c.system) / 1000);
  }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
for (const [n, v] of Object.entries(res)) console.log(n, med(v).toFixed(3), "ms");
