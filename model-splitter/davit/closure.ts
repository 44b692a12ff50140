// Per-token parts of a DaViT block — LayerNorms, Linears (fp32 MatMul + bias or their int8 forms), GELU —
// are copied from the original graph into band graphs unchanged, whatever operators the exporter or the
// quantizer used: a node belongs to the "pointwise closure" of a token tensor when it computes each token
// from that token alone (elementwise with per-channel constants, reductions over the channel axis, weight
// ops on the channel axis). Everything spatial (reshapes into windows, convolutions, attention) is rebuilt by
// the band builder, which knows the band's geometry.
import { attributeValue, type GraphProto, type NodeProto } from "../../onnx-graph";
import type { GraphFacts } from "../shapes/evaluate";
import { lookup } from "../shapes/evaluate";
import type { GraphStatics } from "../graph/statics";

const ELEMENTWISE = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Sqrt",
  "Erf",
  "Relu",
  "Sigmoid",
  "Tanh",
  "Cast",
  "Neg",
  "Abs",
  "Exp",
  "Log",
  "Reciprocal",
  "Identity",
  "Gelu",
  "Max",
  "Min",
  "Clip",
]);
const REDUCE = new Set(["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2"]);
/** Weight ops: activation × constant matrix on the last axis. */
export const WEIGHT_OPS = new Set([
  "MatMul",
  "Gemm",
  "DynamicQuantizeMatMul",
  "MatMulIntegerToFloat",
  "MatMulInteger",
]);
/** Ops whose result depends on the whole tensor's range: banded, they need the global [min, max]. */
export const DYNAMIC_RANGE_OPS = new Set(["DynamicQuantizeMatMul", "DynamicQuantizeLinear"]);

function lastAxisOnly(n: NodeProto, rank: number, facts: GraphFacts): boolean {
  const a = n.attribute.find((x) => x.name === "axes");
  const axes = a
    ? (attributeValue(a) as number[])
    : n.input[1]
      ? lookup(facts, n.input[1])?.value
      : undefined;
  const keep = n.attribute.find((x) => x.name === "keepdims");
  if (keep && Number(attributeValue(keep)) === 0) return false;
  return axes !== undefined && axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
}

/** Whether a static operand broadcasts per channel (rank ≤ 1, or all leading dims 1). */
function perChannel(name: string, facts: GraphFacts): boolean {
  const f = lookup(facts, name);
  return !!f && f.dims.slice(0, -1).every((d) => d === 1);
}

/**
 * The pointwise closure of `source` among `nodes` (in order): nodes whose every input is the source, a value
 * of the closure, or static, with at least one non-static input, of a per-token kind.
 */
export function pointwiseClosure(
  source: string,
  nodes: NodeProto[],
  statics: GraphStatics,
  facts: GraphFacts,
): NodeProto[] {
  const inside = new Set([source]);
  const out: NodeProto[] = [];
  for (const n of nodes) {
    const ins = n.input.filter((i) => i);
    const dyn = ins.filter((i) => !statics.values.has(i));
    if (dyn.length === 0 || !dyn.every((i) => inside.has(i))) continue;
    const rank = lookup(facts, dyn[0]!)?.dims.length ?? 0;
    let ok = false;
    if (ELEMENTWISE.has(n.opType)) ok = ins.every((i) => !statics.values.has(i) || perChannel(i, facts));
    else if (REDUCE.has(n.opType)) ok = lastAxisOnly(n, rank, facts);
    else if (WEIGHT_OPS.has(n.opType))
      ok =
        !statics.values.has(n.input[0]!) &&
        n.input.slice(1).every((i) => !i || statics.values.has(i) || inside.has(i));
    else if (n.opType === "DynamicQuantizeLinear") ok = true;
    else if (n.opType === "LayerNormalization") ok = true;
    if (!ok) continue;
    out.push(n);
    for (const o of n.output) if (o) inside.add(o);
  }
  return out;
}

/** Values made by the closure and read outside it (or graph outputs). */
export function frontier(
  closure: NodeProto[],
  graph: GraphProto,
  readers: Map<string, NodeProto[]>,
): string[] {
  const inClosure = new Set(closure);
  const outputs = new Set(graph.output.map((o) => o.name));
  return closure.flatMap((n) =>
    n.output.filter((o) => o && (outputs.has(o) || (readers.get(o) ?? []).some((r) => !inClosure.has(r)))),
  );
}
