// MatMul / Gemm with a constant fp32 weight → com.microsoft DynamicQuantizeMatMul with int8 weights and one
// fp32 scale per output column. The activation is quantized to uint8 per tensor at run time by the kernel
// itself, which then runs MLAS's u8×s8 GEMM (the WASM-SIMD integer path) and applies the scales and the bias
// in its output stage. The op-pattern benchmark (bench/quant/op-patterns.ts) chose it: the same speed as
// DynamicQuantizeLinear + MatMulInteger + Cast + Mul, without the int32 and fp32 intermediates, and its
// weights stay int8 in WASM memory (prepacked once), unlike weight-only DequantizeLinear + MatMul.
import { create } from "@bufbuild/protobuf";
import { attributeValue, dimsOf, makeAttribute, NodeProtoSchema, type NodeProto } from "../onnx-graph";
import { admit, count, type Replacement, type RewriteContext } from "./context";
import { resolveConstant } from "./scope";
import { stackColumns } from "./rewrite-stacked";
import type { Layout } from "./weights";

export const MS_DOMAIN = "com.microsoft";

function attr(n: NodeProto, name: string, dflt: number): number {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(attributeValue(a)) : dflt;
}

/** A Linear's bias Add that can move into the kernel: the MatMul's only reader, in the same graph, adding an fp32 [N]. */
function fusableBias(
  ctx: RewriteContext,
  n: NodeProto,
  cols: number,
): { add: NodeProto; bias: string } | undefined {
  const out = n.output[0]!;
  const readers = ctx.consumers.get(out) ?? [];
  if (readers.length !== 1 || ctx.graph.output.some((o) => o.name === out)) return undefined;
  const add = readers[0]!;
  if (add.opType !== "Add" || add.domain !== "" || !ctx.graph.node.includes(add)) return undefined;
  const other = add.input[0] === out ? add.input[1] : add.input[0];
  if (!other || add.input[0] === add.input[1]) return undefined;
  const c = resolveConstant(ctx.scope, other);
  const dims = c ? dimsOf(c.tensor) : [];
  return dims.length === 1 && dims[0] === cols ? { add, bias: other } : undefined;
}

function dynamicQuantizeMatMul(
  ctx: RewriteContext,
  n: NodeProto,
  a: string,
  q: { q: string; scale: string },
  bias: string | undefined,
  output: string,
): NodeProto {
  return create(NodeProtoSchema, {
    name: ctx.names.fresh(`${n.name || "/MatMul"}_quant`),
    opType: "DynamicQuantizeMatMul",
    domain: MS_DOMAIN,
    input: bias ? [a, q.q, q.scale, "", bias] : [a, q.q, q.scale],
    output: [output],
  });
}

export function rewriteMatMul(ctx: RewriteContext, n: NodeProto): Replacement | undefined {
  const [a, b] = n.input;
  if (!a || !b || resolveConstant(ctx.scope, a)) return undefined;
  const w = resolveConstant(ctx.scope, b);
  if (!w) return undefined;
  const dims = dimsOf(w.tensor);
  if (dims.length !== 2) {
    ctx.log.kept.push({ weight: w.tensor.name, node: n.name, op: n.opType, reason: "not-2d" });
    return undefined;
  }
  if (!admit(ctx, w.tensor.name, n, dims[0]! * dims[1]!)) return undefined;
  if (ctx.options.splitAbove > 0 && dims[1]! > ctx.options.splitAbove)
    return ctx.options.splitForm === "stacked" && !ctx.options.splitConcat.test(n.name)
      ? stackColumns(ctx, n, a, w)
      : splitByColumns(ctx, n, a, w);
  const q = ctx.weights.get(w, "matmul");
  const fused = fusableBias(ctx, n, dims[1]!);
  count(ctx.log, "MatMul→DynamicQuantizeMatMul");
  if (!fused) return { nodes: [dynamicQuantizeMatMul(ctx, n, a, q, undefined, n.output[0]!)] };
  count(ctx.log, "bias Add fused");
  ctx.log.removedValues.add(n.output[0]!);
  return {
    nodes: [dynamicQuantizeMatMul(ctx, n, a, q, fused.bias, fused.add.output[0]!)],
    drop: [fused.add],
  };
}

/** One DynamicQuantizeMatMul per column block, concatenated on the last axis (the bias Add stays after it). */
function splitByColumns(
  ctx: RewriteContext,
  n: NodeProto,
  a: string,
  w: NonNullable<ReturnType<typeof resolveConstant>>,
): Replacement {
  const parts = ctx.weights.getColumnChunks(w, ctx.options.splitBlock);
  const base = n.name || "/MatMul";
  const nodes = parts.map((p) =>
    dynamicQuantizeMatMul(ctx, n, a, p, undefined, ctx.names.fresh(`${base}_cols${p.columns[0]}_output`)),
  );
  nodes.push(
    create(NodeProtoSchema, {
      name: ctx.names.fresh(`${base}_concat`),
      opType: "Concat",
      domain: "",
      input: nodes.map((x) => x.output[0]!),
      output: [n.output[0]!],
      attribute: [makeAttribute("axis", -1)],
    }),
  );
  count(ctx.log, "MatMul→DynamicQuantizeMatMul");
  count(ctx.log, "column-split MatMul");
  return { nodes };
}

/** Gemm as exporters write a Linear on 2-D input: alpha = beta = 1, A not transposed, C a [N] bias. */
export function rewriteGemm(ctx: RewriteContext, n: NodeProto): Replacement | undefined {
  const [a, b, c] = n.input;
  if (!a || !b || resolveConstant(ctx.scope, a)) return undefined;
  const w = resolveConstant(ctx.scope, b);
  if (!w) return undefined;
  const dims = dimsOf(w.tensor);
  const transB = attr(n, "transB", 0) === 1;
  const cols = transB ? dims[0]! : dims[1]!;
  const bias = c ? resolveConstant(ctx.scope, c) : undefined;
  const biasOk =
    !c || (bias !== undefined && dimsOf(bias.tensor).length === 1 && dimsOf(bias.tensor)[0] === cols);
  if (
    dims.length !== 2 ||
    attr(n, "transA", 0) !== 0 ||
    attr(n, "alpha", 1) !== 1 ||
    (c && attr(n, "beta", 1) !== 1) ||
    !biasOk
  ) {
    ctx.log.kept.push({
      weight: w.tensor.name,
      node: n.name,
      op: n.opType,
      reason: "unsupported-attributes",
    });
    return undefined;
  }
  if (!admit(ctx, w.tensor.name, n, dims[0]! * dims[1]!)) return undefined;
  const layout: Layout = transB ? "gemm-transposed" : "matmul";
  const q = ctx.weights.get(w, layout);
  count(ctx.log, "Gemm→DynamicQuantizeMatMul");
  return { nodes: [dynamicQuantizeMatMul(ctx, n, a, q, c || undefined, n.output[0]!)] };
}
