// Moves the lm_head out of the merged decoder: both If branches end in the same weight op (MatMul with the
// lm_head matrix, or its DynamicQuantizeMatMul form, optionally + final_logits_bias) producing `logits`. The
// branches instead return the final hidden state as `decoder_hidden`, and the removed op becomes its own
// graph, decoder_hidden → logits. The decoder stage then keeps its caches and sends only a hidden state per
// row and step; the lm_head (the largest single weight) lives in a stage of its own.
import { create } from "@bufbuild/protobuf";
import {
  attributeValue,
  DataType,
  GraphProtoSchema,
  subgraphsOf,
  tensorTypeOf,
  valueInfo,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from "../../onnx-graph";

export const HIDDEN_OUTPUT = "decoder_hidden";
const WEIGHT_OPS = new Set(["MatMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "Gemm"]);

interface HeadNodes {
  nodes: NodeProto[];
  hidden: string;
}

/** The nodes from the last hidden state to `logits` in one branch: a weight op and an optional bias Add. */
function findHead(branch: GraphProto, outerInits: Set<string>): HeadNodes {
  const producer = new Map(branch.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const isStatic = (v: string) => outerInits.has(v) || branch.initializer.some((t) => t.name === v);
  let node = producer.get("logits");
  const nodes: NodeProto[] = [];
  if (node?.opType === "Add") {
    const [a, b] = node.input as [string, string];
    const act = isStatic(a) ? b : isStatic(b) ? a : undefined;
    if (!act) throw new Error("logits come from an Add of two activations; cannot find the lm_head");
    nodes.push(node);
    node = producer.get(act);
  }
  // The quantizer may cut a wide weight into column blocks (quant/ splitAbove): one weight op per block, all
  // reading the same hidden state, joined by a Concat along the last axis.
  if (node?.opType === "Concat") {
    const concat = node;
    const blocks = concat.input.map((v) => producer.get(v));
    const hidden = blocks[0]?.input[0];
    if (!hidden || !blocks.every((b) => b && isWeightOp(b, isStatic) && b.input[0] === hidden))
      throw new Error("the lm_head Concat does not join weight ops over one hidden state");
    return { nodes: [...(blocks as NodeProto[]), concat, ...nodes], hidden };
  }
  if (!node || !isWeightOp(node, isStatic)) {
    throw new Error(
      `the lm_head is not a weight op reading outer weights (found ${node?.opType ?? "nothing"})`,
    );
  }
  nodes.unshift(node);
  // The head's other readers would lose their input: the hidden state must feed nothing else in between.
  return { nodes, hidden: node.input[0]! };
}

function isWeightOp(node: NodeProto, isStatic: (v: string) => boolean): boolean {
  return (
    WEIGHT_OPS.has(node.opType) &&
    node.input
      .slice(1)
      .filter((i) => i)
      .every(isStatic)
  );
}

export interface LmHeadSplit {
  core: ModelProto;
  head: ModelProto;
}

export function extractLmHead(model: ModelProto): LmHeadSplit {
  const g = model.graph!;
  const ifNode = g.node.find((n) => n.opType === "If");
  if (!ifNode || g.node.length !== 1)
    throw new Error("expected a merged decoder: one If node in the main graph");
  const outerInits = new Set(g.initializer.map((t) => t.name));
  const branches = subgraphsOf(ifNode).map((s) => s.graph);
  const heads = branches.map((b) => findHead(b, outerInits));
  // Compared by op and weights only: intermediate names (block outputs) may differ between the branches.
  const sig = (h: HeadNodes) =>
    h.nodes.map((n) => `${n.opType}:${n.input.filter((i) => outerInits.has(i)).join(",")}`).join("|");
  if (new Set(heads.map(sig)).size !== 1)
    throw new Error("the two decoder branches use different lm_head weights");

  const logitsIndex = g.output.findIndex((o) => o.name === "logits");
  const logitsType = tensorTypeOf(g.output[logitsIndex]!)!;
  const dims = logitsType.dims ? [...logitsType.dims.slice(0, -1)] : null;
  const headWeights = new Set(heads[0]!.nodes.flatMap((n) => n.input.filter((i) => i && outerInits.has(i))));
  const hiddenDims = dims ? [...dims, dModelOf(g, heads[0]!)] : null;

  branches.forEach((b, i) => {
    const h = heads[i]!;
    b.node = b.node.filter((n) => !h.nodes.includes(n));
    const idx = b.output.findIndex((o) => o.name === "logits");
    b.output[idx] = valueInfo(h.hidden, DataType.FLOAT, hiddenDims);
  });
  ifNode.output = ifNode.output.map((o) => (o === "logits" ? HIDDEN_OUTPUT : o));
  const coreGraph = create(GraphProtoSchema, {
    ...g,
    output: g.output.map((o) =>
      o.name === "logits" ? valueInfo(HIDDEN_OUTPUT, DataType.FLOAT, hiddenDims) : o,
    ),
    initializer: g.initializer.filter((t) => !headWeights.has(t.name) || stillRead(branches, t.name)),
  });

  const src = heads[0]!;
  const headNodes = src.nodes.map((n) => ({
    ...n,
    input: n.input.map((x) => (x === src.hidden ? HIDDEN_OUTPUT : x)),
  }));
  const headGraph = create(GraphProtoSchema, {
    name: "lm_head",
    node: headNodes,
    initializer: g.initializer.filter((t) => headWeights.has(t.name)),
    input: [valueInfo(HIDDEN_OUTPUT, DataType.FLOAT, hiddenDims)],
    output: [g.output[logitsIndex]!],
  });
  return { core: { ...model, graph: coreGraph }, head: { ...model, graph: headGraph } };
}

function stillRead(branches: GraphProto[], name: string): boolean {
  const reads = (gr: GraphProto): boolean =>
    gr.node.some((n) => n.input.includes(name) || subgraphsOf(n).some((s) => reads(s.graph)));
  return branches.some(reads);
}

/** Hidden size: the lm_head weight's input dimension. */
function dModelOf(g: GraphProto, h: HeadNodes): number {
  const op = h.nodes[0]!;
  const w = g.initializer.find((t) => t.name === op.input[1]) as TensorProto | undefined;
  if (!w) throw new Error("lm_head weight not found");
  const transB = op.attribute.find((a) => a.name === "transB");
  return Number(transB && attributeValue(transB) === 1 ? w.dims[1] : w.dims[0]);
}
