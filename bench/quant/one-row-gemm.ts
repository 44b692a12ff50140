// One Linear layer at decoding shapes (M = 1..3 rows) on onnxruntime-web, 1 thread: fp32 MatMul,
// DynamicQuantizeMatMul whole and in column blocks, and a "swapped" form MatMulInteger(W^T u8 [N,K] as A,
// x^T u8 [K,M] as B) that puts the weight on MLAS's many-row side. All alternate in one process after 150
// warm-up rounds (V8 tiers WASM up in the background meanwhile); CPU time per call (process.cpuUsage), median.
//
//   npx tsx bench/quant/one-row-gemm.ts [M]
import * as ortWeb from "onnxruntime-web";
import { DataType, GraphBuilder, Random } from "../../onnx-graph";
import { quantizeInt8 } from "../../quant/per-channel";
import { concatColumnBlocks, webSession } from "./graph-session";
ortWeb.env.wasm.numThreads = 1;
const M = Number(process.argv[2] ?? 1);
const shapes: [number, number][] = [
  [768, 768],
  [768, 3072],
  [3072, 768],
  [768, 2048],
];
const r = new Random(1);
const sess = webSession;
const results: Record<string, number[]> = {};
const fns: [string, () => Promise<unknown>][] = [];
for (const [K, N] of shapes) {
  const w = r.normalArray(K * N, 0.05);
  const x = new ortWeb.Tensor("float32", r.normalArray(M * K, 1), [M, K]);
  {
    const g = new GraphBuilder("f");
    g.input("x", DataType.FLOAT, [M, K]);
    g.op("MatMul", ["x", g.initializer("w", w, [K, N])], {}, { output: "y" });
    g.output("y", DataType.FLOAT, [M, N]);
    const s = await sess(g);
    fns.push([`${K}x${N} fp32`, () => s.run({ x })]);
  }
  const q = quantizeInt8(w, K, N, 1);
  {
    const g = new GraphBuilder("d");
    g.input("x", DataType.FLOAT, [M, K]);
    g.op(
      "DynamicQuantizeMatMul",
      ["x", g.initializer("w", q.q, [K, N], DataType.INT8), g.initializer("s", q.scales, [N])],
      {},
      { output: "y", domain: "com.microsoft" },
    );
    g.output("y", DataType.FLOAT, [M, N]);
    const s = await sess(g);
    fns.push([`${K}x${N} dqmm`, () => s.run({ x })]);
  }
  for (const B of [256, 512]) {
    if (B >= N || N % B) continue;
    const g = new GraphBuilder("b");
    g.input("x", DataType.FLOAT, [M, K]);
    concatColumnBlocks(g, "x", q, K, N, B);
    g.output("y", DataType.FLOAT, [M, N]);
    const s = await sess(g);
    fns.push([`${K}x${N} dqmm/${B}`, () => s.run({ x })]);
  }
}
for (let w = 0; w < 150; w++) for (const [, f] of fns) await f();
for (let rd = 0; rd < 60; rd++)
  for (const [n, f] of fns) {
    const c0 = process.cpuUsage();
    await f();
    const c = process.cpuUsage(c0);
    (results[n] ??= []).push((c.user + c.system) / 1000);
  }
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!;
for (const [n, v] of Object.entries(results))
  console.log(n.padEnd(22), med(v).toFixed(3), "ms cpu (median of", v.length, ")");
