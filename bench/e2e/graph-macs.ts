// Multiply-accumulates counted from an ONNX graph at concrete input shapes (the model-splitter's shape
// evaluator supplies every value's dims): MatMul / Gemm / Conv and their int8 forms. An independent check of
// macs.ts's arithmetic (test/bench), and a way to count a real export whose architecture differs.
import type { GraphProto, NodeProto } from "../../onnx-graph";
import { evaluateGraph, lookup, type GraphFacts } from "../../model-splitter/shapes/evaluate";
import type { Facts } from "../../model-splitter/shapes/facts";

const MATMUL_OPS = new Set(["MatMul", "MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"]);
const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function nodeMacs(n: NodeProto, gf: GraphFacts): number {
  const dims = (name: string | undefined) => (name ? lookup(gf, name)?.dims : undefined);
  const out = dims(n.output[0]);
  if (!out) return 0;
  if (MATMUL_OPS.has(n.opType) || n.opType === "Gemm") {
    const a = dims(n.input[0]);
    if (!a) return 0;
    const transA = n.opType === "Gemm" && n.attribute.some((x) => x.name === "transA" && Number(x.i) === 1);
    const k = transA ? a[a.length - 2]! : a[a.length - 1]!;
    return numel(out) * k;
  }
  if (n.opType === "Conv" || n.opType === "ConvInteger") {
    const w = dims(n.input[1]);
    if (!w) return 0;
    // Weight [Cout, Cin/group, kh, kw]: every output element reads Cin/group · kh · kw inputs.
    return numel(out) * numel(w.slice(1));
  }
  return 0;
}

/** Sums over the graph and the If branches that the evaluator ran. */
export function countMacs(gf: GraphFacts): number {
  let total = 0;
  for (const n of gf.graph.node) {
    total += nodeMacs(n, gf);
    const sub = gf.subgraphs.get(n);
    if (sub) total += countMacs(sub);
  }
  return total;
}

export function graphMacs(graph: GraphProto, inputs: Record<string, Facts>): number {
  return countMacs(evaluateGraph(graph, inputs));
}
