// A wide MatMul weight as stacked column blocks, one batched DynamicQuantizeMatMul (options.splitForm
// "stacked"): x [..., K] → Reshape [1, rows, K] → DynamicQuantizeMatMul with W [blocks, K, width] and scales
// [blocks, 1, width] → [blocks, rows, width] → Transpose → [rows, blocks, width] → Reshape [..., blocks·width]
// → Slice to N when the last block is padded. Every column is computed as in the Concat form (same int8
// weights, scales and quantized input), so the outputs are identical; what changes is the cost at one row:
// the input is quantized once instead of once per block and no Concat copies the blocks together (measured
// in bench/quant/batched-blocks.ts and decoder-step.ts, quant/README.md).
import { create } from "@bufbuild/protobuf";
import { DataType, makeAttribute, makeTensor, NodeProtoSchema, type NodeProto } from "../onnx-graph";
import { count, type Replacement, type RewriteContext } from "./context";
import type { ResolvedConstant } from "./scope";

function node(
  ctx: RewriteContext,
  name: string,
  opType: string,
  input: string[],
  attrs: ReturnType<typeof makeAttribute>[] = [],
  output?: string,
): NodeProto {
  const n = ctx.names.fresh(name);
  return create(NodeProtoSchema, {
    name: n,
    opType,
    domain: opType === "DynamicQuantizeMatMul" ? "com.microsoft" : "",
    input,
    output: [output ?? ctx.names.fresh(`${n}_output`)],
    attribute: attrs,
  });
}

/** A Constant node with int64 values (as the exporter writes shape constants inside If branches). */
function int64(ctx: RewriteContext, base: string, values: number[]): NodeProto {
  const out = ctx.names.fresh(`${base}_value`);
  return create(NodeProtoSchema, {
    name: ctx.names.fresh(base),
    opType: "Constant",
    domain: "",
    output: [out],
    attribute: [
      makeAttribute(
        "value",
        makeTensor(out, BigInt64Array.from(values.map(BigInt)), [values.length], DataType.INT64),
      ),
    ],
  });
}

export function stackColumns(ctx: RewriteContext, n: NodeProto, a: string, w: ResolvedConstant): Replacement {
  const s = ctx.weights.getStackedColumns(w, ctx.options.splitBlock);
  const base = n.name || "/MatMul";
  const k = s.elements / s.columns;
  const nodes: NodeProto[] = [];
  const add = (x: NodeProto) => (nodes.push(x), x.output[0]!);
  const rowsShape = add(int64(ctx, `${base}_rows_shape`, [1, -1, k]));
  const rows = add(node(ctx, `${base}_rows`, "Reshape", [a, rowsShape]));
  const y = add(node(ctx, `${base}_stacked`, "DynamicQuantizeMatMul", [rows, s.q, s.scale]));
  const t = add(node(ctx, `${base}_unstack`, "Transpose", [y], [makeAttribute("perm", [1, 0, 2])]));
  // The input's leading dims with the columns last: [..., -1].
  const shape = add(node(ctx, `${base}_lead_shape`, "Shape", [a]));
  const starts = add(int64(ctx, `${base}_lead_starts`, [0]));
  const ends = add(int64(ctx, `${base}_lead_ends`, [-1]));
  const lead = add(node(ctx, `${base}_lead`, "Slice", [shape, starts, ends]));
  const last = add(int64(ctx, `${base}_last`, [-1]));
  const target = add(node(ctx, `${base}_out_shape`, "Concat", [lead, last], [makeAttribute("axis", 0)]));
  const padded = s.blocks * s.width > s.columns;
  const full = add(node(ctx, `${base}_out`, "Reshape", [t, target], [], padded ? undefined : n.output[0]!));
  if (padded) {
    // The zero-padded columns of the last block are dropped.
    const c0 = add(int64(ctx, `${base}_cols_start`, [0]));
    const c1 = add(int64(ctx, `${base}_cols_end`, [s.columns]));
    const axis = add(int64(ctx, `${base}_cols_axis`, [-1]));
    add(node(ctx, `${base}_cols`, "Slice", [full, c0, c1, axis], [], n.output[0]!));
  }
  count(ctx.log, "MatMul→DynamicQuantizeMatMul");
  count(ctx.log, "column-stacked MatMul");
  return { nodes };
}
