// The token embedding: Gather(table [V, D] fp32, input_ids) → the int8 table's rows and their per-row scales
// gathered by the same ids, then Cast + Mul. Per-row scales (one per token) keep each embedding vector's own
// range; the gathered [.., 1] scale broadcasts over D. Only Gathers whose indices are a graph input qualify:
// that is the token lookup, while position tables (indexed by computed Range values) stay fp32.
import { create } from "@bufbuild/protobuf";
import {
  attributeValue,
  DataType,
  dimsOf,
  makeAttribute,
  NodeProtoSchema,
  type NodeProto,
} from "../onnx-graph";
import { admit, count, type Replacement, type RewriteContext } from "./context";
import { resolveConstant } from "./scope";

export function rewriteGather(ctx: RewriteContext, n: NodeProto): Replacement | undefined {
  const [data, indices] = n.input;
  if (!data || !indices) return undefined;
  const axisAttr = n.attribute.find((a) => a.name === "axis");
  if (axisAttr && Number(attributeValue(axisAttr)) !== 0) return undefined;
  // Token ids come straight from an input of the model's main graph.
  if (!ctx.scope.indexes[0]!.inputs.has(indices) || ctx.scope.graphs.length !== 1) return undefined;
  const t = resolveConstant(ctx.scope, data);
  if (!t || dimsOf(t.tensor).length !== 2) return undefined;
  if (!ctx.options.embeddings) {
    ctx.log.kept.push({ weight: t.tensor.name, node: n.name, op: n.opType, reason: "embeddings-off" });
    return undefined;
  }
  const [rows, cols] = dimsOf(t.tensor) as [number, number];
  if (!admit(ctx, t.tensor.name, n, rows * cols)) return undefined;
  const q = ctx.weights.get(t, "rows");
  const base = n.name || "/Gather";
  const node = (
    opType: string,
    input: string[],
    output: string,
    attrs: ReturnType<typeof makeAttribute>[] = [],
  ) =>
    create(NodeProtoSchema, {
      name: ctx.names.fresh(`${base}_${opType}`),
      opType,
      domain: "",
      input,
      output: [output],
      attribute: attrs,
    });
  const rowsQ = ctx.names.fresh(`${base}_rows_int8`);
  const scales = ctx.names.fresh(`${base}_row_scales`);
  const rowsF = ctx.names.fresh(`${base}_rows_float`);
  count(ctx.log, "Gather→int8 Gather+scale");
  return {
    nodes: [
      node("Gather", [q.q, indices], rowsQ, [makeAttribute("axis", 0)]),
      node("Gather", [q.scale, indices], scales, [makeAttribute("axis", 0)]),
      node("Cast", [rowsQ], rowsF, [makeAttribute("to", DataType.FLOAT)]),
      node("Mul", [rowsF, scales], n.output[0]!),
    ],
  };
}
