// The channel attention's qᵀk per K block (see band-builder.ts): the small graph a band pass runs on the band's
// q, k, v, written like the original so onnxruntime computes each product the same way.
import { DataType, GraphBuilder, type GraphProto } from "../../onnx-graph";
import { i64 } from "./band-graph";

/**
 * The K block of onnxruntime-web's SGEMM for a product with `d` output columns: MLAS starts from 128×128
 * (StrideN × StrideK) and doubles StrideK while halving StrideN down to the output width (minimum 16).
 * Checked against onnxruntime-web 1.30 for d = 16 (1024) and d = 32 (512).
 */
export function gemmKBlock(d: number): number {
  let n = 128;
  let k = 128;
  while (n > 16 && n / 2 >= d) {
    k *= 2;
    n /= 2;
  }
  return k;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The smallest band (in map rows) a DaViT group can run in: whole attention windows, and for channel attention
 * (`channelsPerGroup` given: its running qᵀk sum) whole K blocks of the GEMM (gemmKBlock) of `width`-token rows.
 * quant/range-blocks.ts gives such groups' int8 activations one range per band of this height, so a band needs
 * no statistics pass.
 */
export function bandUnitRows(windowSize: number, width: number, channelsPerGroup?: number): number {
  if (channelsPerGroup === undefined) return windowSize;
  const block = gemmKBlock(channelsPerGroup);
  const rowsPerBlock = block / gcd(width, block);
  return (windowSize * rowsPerBlock) / gcd(windowSize, rowsPerBlock);
}

/**
 * qkv [1, n, 3, G, d] (or q,k only: [1, n, 2, G, d], `parts` 2) → (q·N^-1/2)ᵀk per block of tokens,
 * [n / block, G, d, d], written as the original. The block is the GEMM's K block, or the whole map when it is
 * one band (then the product is the original's).
 */
export function blockProducts(
  name: string,
  heads: number,
  d: number,
  n: number,
  block = gemmKBlock(d),
  parts: 2 | 3 = 3,
): GraphProto {
  const g = new GraphBuilder(`${name}.blocks`);
  const ints = (v: number[]) => g.constant(i64(v), [v.length]);
  const qkv = g.input(`${name}.partial.0`, DataType.FLOAT, [1, "n", parts, heads, d]);
  const groups = g.op("Transpose", [g.op("Reshape", [qkv, ints([-1, block, parts, heads, d])])], {
    perm: [2, 0, 3, 1, 4],
  });
  const [q, k] = [0, 1].map((i) => g.op("Gather", [groups, g.constant(i64([i]), [])], { axis: 0 }));
  const scale = g.op("Pow", [
    g.op("Cast", [ints([n])], { to: DataType.FLOAT }),
    g.constant(Float32Array.of(-0.5), []),
  ]);
  g.op(
    "MatMul",
    [g.op("Transpose", [g.op("Mul", [q!, scale])], { perm: [0, 1, 3, 2] }), k!],
    {},
    { output: name },
  );
  g.output(name, DataType.FLOAT, ["blocks", heads, d, d]);
  return g.build();
}
