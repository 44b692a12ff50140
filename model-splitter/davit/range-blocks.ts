// The splitter's view of quant/range-blocks.ts: a DynamicQuantizeMatMul whose input the model cuts into blocks
// of map rows (one activation range per block) appears in the graph as Reshape → Split → one
// DynamicQuantizeMatMul per block → Concat → Reshape. For planning bands it is collapsed back into the one
// DynamicQuantizeMatMul it replaced, with its block count remembered: a band of exactly one block then runs
// that op on its own rows, which is what the model computes for the block (no statistics pass needed).
import { create } from "@bufbuild/protobuf";
import { GraphProtoSchema, NodeProtoSchema, type GraphProto, type NodeProto } from "../../onnx-graph";

/** The name infix of every node quant/range-blocks.ts adds (`<original node name>/range_blocks/<part>`). */
export const RANGE_BLOCK_TAG = "/range_blocks/";

export interface CollapsedRangeBlocks {
  /** The graph with every range-block pattern replaced by one DynamicQuantizeMatMul. */
  graph: GraphProto;
  /** The collapsed ops and how many blocks of the map (equal rows each) the model quantizes separately. */
  blocks: Map<NodeProto, number>;
  /** The original nodes each collapsed op stands for. */
  origin: Map<NodeProto, NodeProto[]>;
}

export function collapseRangeBlocks(graph: GraphProto): CollapsedRangeBlocks {
  const groups = new Map<string, NodeProto[]>();
  for (const n of graph.node) {
    const at = n.name.indexOf(RANGE_BLOCK_TAG);
    if (at < 0) continue;
    const key = n.name.slice(0, at);
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(n);
  }
  const blocks = new Map<NodeProto, number>();
  const origin = new Map<NodeProto, NodeProto[]>();
  if (groups.size === 0) return { graph, blocks, origin };
  const first = new Map<NodeProto, NodeProto>();
  const inside = new Set<NodeProto>();
  for (const [key, nodes] of groups) {
    const part = (p: string) => nodes.filter((n) => n.name.slice(key.length + RANGE_BLOCK_TAG.length) === p);
    const one = (p: string) => {
      const m = part(p);
      if (m.length !== 1)
        throw new Error(`range blocks of ${key}: expected one ${p} node, found ${m.length}`);
      return m[0]!;
    };
    const reshapeIn = one("Reshape_in");
    const split = one("Split");
    const reshapeOut = one("Reshape_out");
    const mms = nodes.filter((n) => n.opType === "DynamicQuantizeMatMul");
    if (mms.length < 2 || mms.length !== split.output.length)
      throw new Error(`range blocks of ${key}: ${mms.length} MatMuls for ${split.output.length} blocks`);
    const op = create(NodeProtoSchema, {
      ...mms[0]!,
      name: key,
      input: [reshapeIn.input[0]!, ...mms[0]!.input.slice(1)],
      output: [reshapeOut.output[0]!],
    });
    blocks.set(op, mms.length);
    origin.set(op, nodes);
    first.set(nodes[0]!, op);
    for (const n of nodes) inside.add(n);
  }
  const node = graph.node.flatMap((n) => (first.has(n) ? [first.get(n)!] : inside.has(n) ? [] : [n]));
  return { graph: create(GraphProtoSchema, { ...graph, node }), blocks, origin };
}
