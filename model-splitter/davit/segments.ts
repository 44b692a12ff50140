// Finds the DaViT structure in a vision graph by its data flow, not by names: from pixel_values, the token
// stream goes through segments. A residual segment ends in an Add of the stream and something computed from
// it (x + f(x)); its kind follows from what f contains: a depthwise Conv (ConvPosEnc), a Softmax with
// window padding/cropping (window attention), a Softmax without (channel attention), or neither (the MLP).
// Any other stretch is a patch embedding (one dense Conv with its LayerNorm) — or, after the last block, the
// image head, where the search stops.
import { attributeValue, type GraphProto, type NodeProto } from "../../onnx-graph";
import { nodeReads } from "../graph/statics";

export type SegmentKind = "convEmbed" | "dwConv" | "windowAttention" | "channelAttention" | "mlp";

export interface Segment {
  kind: SegmentKind;
  /** The stream value the segment reads. */
  input: string;
  /** The stream value it produces (the residual Add's output, or the next stream value). */
  output: string;
  /** Its nodes, in graph order (the residual Add included). */
  nodes: NodeProto[];
  /** DaViT stage (0-based; a convEmbed starts a new one). */
  stage: number;
  /** For residual segments: the residual Add and its non-stream input. */
  residual?: { add: NodeProto; branch: string };
}

interface Index {
  graph: GraphProto;
  order: Map<NodeProto, number>;
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
}

function index(graph: GraphProto): Index {
  const order = new Map(graph.node.map((n, i) => [n, i]));
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node) {
    for (const o of n.output) if (o) producer.set(o, n);
    for (const r of nodeReads(n)) (consumers.get(r) ?? consumers.set(r, []).get(r)!).push(n);
  }
  return { graph, order, producer, consumers };
}

/** Nodes reachable forward from a value. */
function descendants(ix: Index, value: string): Set<NodeProto> {
  const out = new Set<NodeProto>();
  const stack = [...(ix.consumers.get(value) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    out.add(n);
    for (const o of n.output) for (const c of ix.consumers.get(o) ?? []) stack.push(c);
  }
  return out;
}

/** Nodes a value depends on, not going past `stop` nodes' inputs beyond the stream value. */
function ancestorsWithin(ix: Index, value: string, within: Set<NodeProto>): Set<NodeProto> {
  const out = new Set<NodeProto>();
  const stack = [value];
  while (stack.length) {
    const v = stack.pop()!;
    const p = ix.producer.get(v);
    if (!p || out.has(p) || !within.has(p)) continue;
    out.add(p);
    for (const i of p.input) if (i) stack.push(i);
  }
  return out;
}

/** The residual Add reading `stream` whose other input is computed from it, if any. */
function residualAdd(
  ix: Index,
  stream: string,
  desc: Set<NodeProto>,
): { add: NodeProto; branch: string } | undefined {
  for (const n of ix.consumers.get(stream) ?? []) {
    if (n.opType !== "Add") continue;
    const other = n.input[0] === stream ? n.input[1] : n.input[0];
    const p = other ? ix.producer.get(other) : undefined;
    if (other && p && desc.has(p)) return { add: n, branch: other };
  }
  return undefined;
}

function groupOf(n: NodeProto): number {
  const a = n.attribute.find((x) => x.name === "group");
  return a ? Number(attributeValue(a)) : 1;
}

function classify(nodes: NodeProto[]): SegmentKind {
  const ops = new Set(nodes.map((n) => n.opType));
  if (nodes.some((n) => n.opType === "Conv" && groupOf(n) > 1)) return "dwConv";
  if (ops.has("Softmax")) return ops.has("Pad") || ops.has("Slice") ? "windowAttention" : "channelAttention";
  return "mlp";
}

/** Segments from pixel_values to the end of the last DaViT block (the image head is not included). */
export function findSegments(graph: GraphProto, input = "pixel_values"): Segment[] {
  const ix = index(graph);
  const segments: Segment[] = [];
  let stream = input;
  let stage = -1;
  for (;;) {
    const desc = descendants(ix, stream);
    const res = residualAdd(ix, stream, desc);
    if (res) {
      const nodes = [...ancestorsWithin(ix, res.branch, desc), res.add].sort(
        (a, b) => ix.order.get(a)! - ix.order.get(b)!,
      );
      segments.push({
        kind: classify(nodes),
        input: stream,
        output: res.add.output[0]!,
        nodes,
        stage,
        residual: res,
      });
      stream = res.add.output[0]!;
      continue;
    }
    // Not residual: a patch embedding if a dense Conv follows before the next residual Add.
    const ordered = [...desc].sort((a, b) => ix.order.get(a)! - ix.order.get(b)!);
    const next = ordered.find((n) => {
      if (n.opType !== "Add") return false;
      return n.input.some((a, k) => {
        const b = n.input[1 - k];
        const pb = b ? ix.producer.get(b) : undefined;
        return a && pb && desc.has(pb) && descendants(ix, a).has(pb);
      });
    });
    if (!next) break;
    const skip = next.input.find((a, k) => {
      const b = next.input[1 - k];
      const pb = b ? ix.producer.get(b) : undefined;
      return a && pb && descendants(ix, a).has(pb);
    })!;
    const nodes = [...ancestorsWithin(ix, skip, desc)].sort((a, b) => ix.order.get(a)! - ix.order.get(b)!);
    if (!nodes.some((n) => n.opType === "Conv" && groupOf(n) === 1)) break;
    stage++;
    segments.push({ kind: "convEmbed", input: stream, output: skip, nodes, stage });
    stream = skip;
  }
  return segments;
}
