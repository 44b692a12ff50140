// Column blocks of one Linear at decoding shapes, as one node instead of many: the blocks stacked into a
// 3-D int8 weight [nb, K, block] (each block contiguous, so MLAS's per-call packing of B reads dense memory,
// which is why blocks are faster than the whole lm_head at one row), one DynamicQuantizeMatMul over the batch,
// then back to [M, N]. Compared with one DynamicQuantizeMatMul per block + Concat (quant's current output)
// and fp32 MatMul, on onnxruntime-web, 1 thread, after 150 warm-up rounds; CPU ms per call (median).
//
//   [SHAPES=KxN,...] [WARM=150] npx tsx bench/quant/batched-blocks.ts [M] [block]
import * as ortWeb from "onnxruntime-web";
import { DataType, GraphBuilder, Random } from "../../onnx-graph";
import { quantizeInt8 } from "../../quant/per-channel";
import { concatColumnBlocks, webSession } from "./graph-session";
import { cosine } from "./stats";

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";
const M = Number(process.argv[2] ?? 1);
const B = Number(process.argv[3] ?? 512);
// K×N pairs, e.g. SHAPES=3072x768,768x768 (default: the lm_head and fc1).
const shapes: [number, number][] = (process.env.SHAPES ?? "768x51289,768x3072")
  .split(",")
  .map((x) => x.split("x").map(Number) as [number, number]);
const r = new Random(1);
const sess = webSession;
const results: Record<string, number[]> = {};
const fns: [string, () => Promise<Record<string, ortWeb.Tensor>>][] = [];
for (const [K, N] of shapes) {
  const w = r.normalArray(K * N, 0.05);
  const x = new ortWeb.Tensor("float32", r.normalArray(M * K, 1), [M, 1, K]);
  {
    const g = new GraphBuilder("f");
    g.input("x", DataType.FLOAT, [M, 1, K]);
    g.op("MatMul", ["x", g.initializer("w", w, [K, N])], {}, { output: "y" });
    g.output("y", DataType.FLOAT, [M, 1, N]);
    const s = await sess(g);
    fns.push([`${K}x${N} fp32`, () => s.run({ x })]);
  }
  const q = quantizeInt8(w, K, N, 1);
  const nb = Math.ceil(N / B);
  const block = (c0: number, width: number) => {
    const w2 = new Int8Array(K * width);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < width && c0 + j < N; j++) w2[k * width + j] = q.q[k * N + c0 + j]!;
    const s2 = new Float32Array(width).fill(1);
    s2.set(q.scales.slice(c0, Math.min(N, c0 + width)));
    return { w2, s2 };
  };
  {
    const g = new GraphBuilder("b");
    g.input("x", DataType.FLOAT, [M, 1, K]);
    concatColumnBlocks(g, "x", q, K, N, B);
    g.output("y", DataType.FLOAT, [M, 1, N]);
    const s = await sess(g);
    fns.push([`${K}x${N} blocks/${B}`, () => s.run({ x })]);
  }
  // Stacked blocks, the last one zero-padded to full width.
  const wb = new Int8Array(nb * K * B);
  const sb = new Float32Array(nb * B);
  for (let b = 0; b < nb; b++) {
    const { w2, s2 } = block(b * B, B);
    wb.set(w2, b * K * B);
    sb.set(s2, b * B);
  }
  {
    // "transpose": x [M,1,K] → [1, M, K]; y [nb, M, B] → [M, nb, B] → [M, 1, nb·B] → Slice N.
    const g = new GraphBuilder("t");
    g.input("x", DataType.FLOAT, [M, 1, K]);
    const x2 = g.op("Reshape", ["x", g.initializer("s1", BigInt64Array.of(1n, -1n, BigInt(K)), [3])]);
    const y = g.op(
      "DynamicQuantizeMatMul",
      [x2, g.initializer("w", wb, [nb, K, B], DataType.INT8), g.initializer("s", sb, [nb, 1, B])],
      {},
      { domain: "com.microsoft" },
    );
    const t = g.op("Transpose", [y], { perm: [1, 0, 2] });
    const rs = g.op("Reshape", [t, g.initializer("s2", BigInt64Array.of(BigInt(M), 1n, -1n), [3])]);
    sliceColumns(g, rs, N);
    g.output("y", DataType.FLOAT, [M, 1, N]);
    try {
      const s = await sess(g);
      fns.push([`${K}x${N} batched-T/${B}`, () => s.run({ x })]);
    } catch (e) {
      console.log("batched-T failed:", (e as Error).message.slice(0, 300));
    }
  }
  {
    // "per row": x [M,1,K] → [M,1,1,1,K]; y [M,1,nb,1,B] → [M,1,nb·B] → Slice N (B packed once per row).
    const g = new GraphBuilder("p");
    g.input("x", DataType.FLOAT, [M, 1, K]);
    const x2 = g.op("Unsqueeze", ["x", g.initializer("ax2", BigInt64Array.of(2n, 3n), [2])]);
    const y = g.op(
      "DynamicQuantizeMatMul",
      [x2, g.initializer("w", wb, [nb, K, B], DataType.INT8), g.initializer("s", sb, [nb, 1, B])],
      {},
      { domain: "com.microsoft" },
    );
    const rs = g.op("Reshape", [y, g.initializer("s2", BigInt64Array.of(0n, 0n, -1n), [3])]);
    sliceColumns(g, rs, N);
    g.output("y", DataType.FLOAT, [M, 1, N]);
    try {
      const s = await sess(g);
      fns.push([`${K}x${N} batched-P/${B}`, () => s.run({ x })]);
    } catch (e) {
      console.log("batched-P failed:", (e as Error).message.slice(0, 300));
    }
  }
}
// Same outputs? (blocks vs batched must agree exactly: the same per-block arithmetic.)
const outs = new Map<string, Float32Array>();
for (const [n, f] of fns) outs.set(n, (await f()).y!.data as Float32Array);
for (const [n, y] of outs) {
  const ref = outs.get(`${n.split(" ")[0]} fp32`)!;
  const blk = [...outs.entries()].find(([k]) => k.startsWith(n.split(" ")[0]!) && k.includes("blocks"))![1];
  let maxdiff = 0;
  for (let i = 0; i < y.length; i++) maxdiff = Math.max(maxdiff, Math.abs(y[i]! - blk[i]!));
  console.log(n.padEnd(26), "cos vs fp32", cosine(y, ref).toFixed(6), "max |Δ| vs blocks", maxdiff);
}
const warm = Number(process.env.WARM ?? 150);
for (let w = 0; w < warm; w++) for (const [, f] of fns) await f();
for (let rd = 0; rd < 60; rd++)
  for (const [n, f] of fns) {
    const c0 = process.cpuUsage();
    await f();
    const c = process.cpuUsage(c0);
    (results[n] ??= []).push((c.user + c.system) / 1000);
  }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [n, v] of Object.entries(results))
  console.log(n.padEnd(26), med(v).toFixed(3), "ms cpu (median of", v.length, ")");

/** The output "y": the first `n` columns of `value` (drops the zero padding of the last block). */
function sliceColumns(g: GraphBuilder, value: string, n: number): void {
  const i64 = (name: string, v: bigint) => g.initializer(name, BigInt64Array.of(v), [1]);
  g.op("Slice", [value, i64("st", 0n), i64("en", BigInt(n)), i64("ax", -1n)], {}, { output: "y" });
}
