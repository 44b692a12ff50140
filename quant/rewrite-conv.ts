// Conv with a constant fp32 weight → DequantizeLinear(int8 weight, per-output-channel scale, axis 0) → Conv.
// onnxruntime-web has no integer Conv kernel for int8 weights, so the Conv itself stays fp32; the weight is
// stored and held int8 and expanded to fp32 per call (onnxruntime does not constant-fold DequantizeLinear
// back to fp32 at load while it keeps QDQ nodes, which bench/quant/op-patterns.ts checks by WASM memory).
// Depthwise (grouped) convs stay fp32 by default: their weights are C·9 values, too small to matter.
import { create } from "@bufbuild/protobuf";
import { attributeValue, dimsOf, makeAttribute, NodeProtoSchema, type NodeProto } from "../onnx-graph";
import { admit, count, type Replacement, type RewriteContext } from "./context";
import { resolveConstant } from "./scope";

export function rewriteConv(ctx: RewriteContext, n: NodeProto): Replacement | undefined {
  const w = n.input[1] ? resolveConstant(ctx.scope, n.input[1]) : undefined;
  if (!w) return undefined;
  const dims = dimsOf(w.tensor);
  const keep = (reason: "conv-fp32" | "grouped-conv" | "opset<13") => {
    ctx.log.kept.push({ weight: w.tensor.name, node: n.name, op: n.opType, reason });
    return undefined;
  };
  const groupAttr = n.attribute.find((a) => a.name === "group");
  const group = groupAttr ? Number(attributeValue(groupAttr)) : 1;
  if (ctx.options.conv === "fp32") return keep("conv-fp32");
  if (group !== 1 && !ctx.options.groupedConv) return keep("grouped-conv");
  if (ctx.opset < 13) return keep("opset<13"); // per-axis DequantizeLinear needs opset 13
  if (
    !admit(
      ctx,
      w.tensor.name,
      n,
      dims.reduce((x, y) => x * y, 1),
    )
  )
    return undefined;
  const q = ctx.weights.get(w, "conv");
  const deq = ctx.names.fresh(`${w.tensor.name}_dequantized`);
  const dq = create(NodeProtoSchema, {
    name: ctx.names.fresh(`${n.name || "/Conv"}_weight_dequantize`),
    opType: "DequantizeLinear",
    domain: "",
    input: [q.q, q.scale],
    output: [deq],
    attribute: [makeAttribute("axis", 0)],
  });
  const conv = create(NodeProtoSchema, { ...n, input: [n.input[0]!, deq, ...n.input.slice(2)] });
  count(ctx.log, "Conv→DequantizeLinear+Conv");
  return { nodes: [dq, conv] };
}
