// One decoder layer's cross-attention at one row over 590 encoder states, fp32, on onnxruntime-web (WASM,
// 1 thread): the exported pattern (Reshape, Transpose, MatMul with Kᵀ — fused by onnxruntime into FusedMatMul
// —, Add mask, Softmax, MatMul, Transpose, Reshape) against broadcast Mul + ReduceSum (no GEMM packing) and com.microsoft MultiHeadAttention reading the
// cache in its [B, heads, L, head] layout. CPU ms per call (median) after 150 warm-up rounds, and the
// largest difference to the exported pattern's output.
//
//   npx tsx bench/quant/cross-attention.ts [rows]
import * as ortWeb from "onnxruntime-web";
import { webSession } from "./graph-session";
import { DataType, GraphBuilder, Random } from "../../onnx-graph";

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";
const R = Number(process.argv[2] ?? 1);
const H = 12;
const D = 64;
const L = 590;
const r = new Random(3);
const sess = webSession;
const i64 = (g: GraphBuilder, name: string, v: number[]) =>
  g.initializer(name, BigInt64Array.from(v.map(BigInt)), [v.length]);
function inputs(g: GraphBuilder) {
  g.input("q", DataType.FLOAT, [R, 1, H * D]);
  g.input("k", DataType.FLOAT, [R, H, L, D]);
  g.input("v", DataType.FLOAT, [R, H, L, D]);
  g.input("mask", DataType.FLOAT, [R, 1, 1, L]);
}
const sessions: [string, ortWeb.InferenceSession][] = [];
{
  const g = new GraphBuilder("exported");
  inputs(g);
  const qs = g.op("Mul", ["q", g.initializer("scale", Float32Array.of(0.125), [])]);
  const q4 = g.op("Transpose", [g.op("Reshape", [qs, i64(g, "s1", [R, 1, H, D])])], { perm: [0, 2, 1, 3] });
  const kt = g.op("Transpose", ["k"], { perm: [0, 1, 3, 2] });
  const sc = g.op("Add", [g.op("MatMul", [q4, kt]), "mask"]);
  const p = g.op("Softmax", [sc], { axis: -1 });
  const c = g.op("Transpose", [g.op("MatMul", [p, "v"])], { perm: [0, 2, 1, 3] });
  g.op("Reshape", [c, i64(g, "s2", [R, 1, H * D])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [R, 1, H * D]);
  sessions.push(["exported", await sess(g)]);
}
{
  // Scores and context as broadcast Mul + ReduceSum: no GEMM, so no packing of the cache.
  const g = new GraphBuilder("mulreduce");
  inputs(g);
  const qs = g.op("Mul", ["q", g.initializer("scale", Float32Array.of(0.125), [])]);
  const q4 = g.op("Transpose", [g.op("Reshape", [qs, i64(g, "s1", [R, 1, H, D])])], { perm: [0, 2, 1, 3] });
  const s4 = g.op("ReduceSum", [g.op("Mul", [q4, "k"]), i64(g, "ax", [-1])], { keepdims: 0 });
  const sc = g.op("Add", [g.op("Reshape", [s4, i64(g, "s3", [R, H, 1, L])]), "mask"]);
  const p = g.op("Softmax", [sc], { axis: -1 });
  const pc = g.op("Reshape", [p, i64(g, "s4", [R, H, L, 1])]);
  const c4 = g.op("ReduceSum", [g.op("Mul", [pc, "v"]), i64(g, "ax2", [2])], { keepdims: 1 });
  const c = g.op("Transpose", [c4], { perm: [0, 2, 1, 3] });
  g.op("Reshape", [c, i64(g, "s2", [R, 1, H * D])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [R, 1, H * D]);
  sessions.push(["Mul+ReduceSum", await sess(g)]);
}
{
  const g = new GraphBuilder("mha");
  inputs(g);
  g.op(
    "MultiHeadAttention",
    ["q", "k", "v", "", "", "mask"],
    { num_heads: H, scale: 0.125 },
    { output: "y", domain: "com.microsoft" },
  );
  g.output("y", DataType.FLOAT, [R, 1, H * D]);
  try {
    sessions.push(["MultiHeadAttention", await sess(g)]);
  } catch (e) {
    console.log("MHA failed:", (e as Error).message.slice(0, 400));
  }
}
const mask = new Float32Array(R * L);
for (let i = L - 7; i < L; i++) mask[i] = -3.4e38;
const feeds = {
  q: new ortWeb.Tensor("float32", r.normalArray(R * H * D, 1), [R, 1, H * D]),
  k: new ortWeb.Tensor("float32", r.normalArray(R * H * L * D, 1), [R, H, L, D]),
  v: new ortWeb.Tensor("float32", r.normalArray(R * H * L * D, 1), [R, H, L, D]),
  mask: new ortWeb.Tensor("float32", mask, [R, 1, 1, L]),
};
const ys: Float32Array[] = [];
for (const [, s] of sessions) {
  try {
    ys.push((await s.run(feeds)).y!.data as Float32Array);
  } catch (e) {
    console.log("run failed:", (e as Error).message.slice(0, 400));
    process.exit(1);
  }
}
for (const [j, y] of ys.entries()) {
  let m = 0;
  for (let i = 0; i < ys[0]!.length; i++) m = Math.max(m, Math.abs(ys[0]![i]! - y[i]!));
  console.log(`max |Δ| ${sessions[j]![0]} vs exported:`, m);
}
const res: Record<string, number[]> = {};
for (let w = 0; w < 150; w++) for (const [, s] of sessions) await s.run(feeds);
for (let i = 0; i < 80; i++)
  for (const [n, s] of sessions) {
    const c0 = process.cpuUsage();
    await s.run(feeds);
    const c = process.cpuUsage(c0);
    (res[n] ??= []).push((c.user + c.system) / 1000);
  }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [n, v] of Object.entries(res))
  console.log(`${R} row(s) ${n.padEnd(20)} ${med(v).toFixed(3)} ms cpu`);
