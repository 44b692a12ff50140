// What each node of a graph costs at the planned shapes: the weights it reads (initializers, directly, through
// static producers such as DequantizeLinear, or through an If branch's outer-scope names) and the bytes of the
// activations it makes. The liveness walk turns a node range into its activation peak the way onnxruntime
// allocates: outputs live from their node to their last reader, view ops (Reshape, Squeeze, ...) share their
// input's buffer, inputs fed by the caller live for the whole run. One kernel scratch is modelled, the largest:
// a Conv that is not pointwise expands its input into columns (im2col) before its GEMM, on one thread for the
// whole output at once (DaViT's stage-2 patch embedding at 48×48: 21 MB, more than its input and output).
// Other scratch and fusions are not modelled; the probe-fitted activation factor covers them.
import { tensorByteLength, type GraphProto, type NodeProto, type TensorProto } from "../../onnx-graph";
import { lookup, type GraphFacts } from "../shapes/evaluate";
import { bytesOf } from "../shapes/facts";
import { findStatics, nodeReads, staticClosure, type GraphStatics } from "../graph/statics";

const VIEW_OPS = new Set(["Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity"]);

export interface NodeCost {
  node: NodeProto;
  /** Initializers the node needs, by name. */
  weights: Set<string>;
  /** Bytes of its outputs (0 for views). */
  outBytes: number;
  /**
   * Peak of what the node needs beyond its inputs and outputs while it runs: its subgraphs' own activations
   * (If branches), and weights computed at run time for it (DequantizeLinear of an int8 Conv weight is not
   * folded to fp32 at load, so the fp32 weight exists while the Conv runs).
   */
  innerPeak: number;
  /** The part of innerPeak that is run-time weights. */
  runtimeWeights: number;
  /** Kernel scratch while it runs (a Conv's im2col buffer), not part of innerPeak. */
  scratch: number;
}

/** Bytes of a Conv's column buffer: (input channels / group) × kernel size × output positions, in float32. */
export function convScratch(n: NodeProto, facts: GraphFacts): number {
  if (n.opType !== "Conv") return 0;
  const x = lookup(facts, n.input[0] ?? "");
  const y = lookup(facts, n.output[0] ?? "");
  if (!x || !y || x.dims.length < 3) return 0;
  const ints = (name: string) => n.attribute.find((a) => a.name === name)?.ints.map(Number) ?? [];
  const w = lookup(facts, n.input[1] ?? "");
  const kernel = ints("kernel_shape").length > 0 ? ints("kernel_shape") : (w?.dims.slice(2) ?? []);
  const strides = ints("strides");
  const pads = ints("pads");
  const pointwise =
    kernel.every((k) => k === 1) && strides.every((s) => s === 1) && pads.every((p) => p === 0);
  if (pointwise) return 0;
  const group = Number(n.attribute.find((a) => a.name === "group")?.i ?? 1);
  const positions = y.dims.slice(2).reduce((a, b) => a * b, 1);
  return ((x.dims[1]! / group) * kernel.reduce((a, b) => a * b, 1) * positions * 4) | 0;
}

export interface GraphCosts {
  graph: GraphProto;
  facts: GraphFacts;
  statics: GraphStatics;
  /** Non-static nodes in run order. */
  nodes: NodeCost[];
  weightBytes: Map<string, number>;
}

export function graphCosts(
  graph: GraphProto,
  facts: GraphFacts,
  outerInits: Map<string, TensorProto> = new Map(),
): GraphCosts {
  const statics = findStatics(graph, new Set(outerInits.keys()));
  const inits = new Map<string, TensorProto>([
    ...outerInits,
    ...graph.initializer.map((t) => [t.name, t] as const),
  ]);
  const weightBytes = new Map([...inits].map(([k, t]) => [k, tensorByteLength(t)]));
  const nodes: NodeCost[] = [];
  for (const n of graph.node) {
    if (n.output.some((o) => o && statics.producer.get(o) === n)) continue;
    const reads = nodeReads(n);
    const closure = staticClosure(
      reads.filter((r) => statics.values.has(r)),
      statics,
      graph,
    );
    const all = [...reads, ...closure.flatMap(nodeReads)];
    const weights = new Set(all.filter((r) => inits.has(r)));
    const outBytes = VIEW_OPS.has(n.opType)
      ? 0
      : n.output.reduce((a, o) => a + (o ? bytesOf(lookup(facts, o) ?? { type: 1, dims: [] }) : 0), 0);
    const sub = facts.subgraphs.get(n);
    const computed = closure.filter((p) => p.opType !== "Constant").flatMap((p) => p.output.filter((o) => o));
    const runtimeWeights = computed.reduce(
      (a, o) => a + bytesOf(lookup(facts, o) ?? { type: 1, dims: [] }),
      0,
    );
    nodes.push({
      node: n,
      weights,
      outBytes,
      innerPeak: (sub ? innerPeak(sub) : 0) + runtimeWeights,
      runtimeWeights,
      scratch: convScratch(n, facts),
    });
  }
  return { graph, facts, statics, nodes, weightBytes };
}

/** Peak activation bytes inside a subgraph run (its own values only; outer values are counted by the caller). */
function innerPeak(sub: GraphFacts): number {
  const c = graphCosts(sub.graph, sub, new Map());
  return activationPeak(c, 0, c.nodes.length, { inputsLive: false }).peak;
}

export interface Liveness {
  /** Largest sum of live activations at any node of the range. */
  peak: number;
  /** Bytes of values crossing into the range (made before it, read in it or later). */
  inputBytes: number;
  /** Bytes of values the range makes that are read after it (or are graph outputs). */
  outputBytes: number;
  inputs: string[];
  outputs: string[];
}

/**
 * Activation peak of running nodes [from, to) as one session: its inputs are fed (live throughout), its
 * outputs stay until the run ends.
 */
export function activationPeak(
  c: GraphCosts,
  from: number,
  to: number,
  opts: { inputsLive?: boolean; runtimeWeights?: boolean; scratch?: boolean } = {},
): Liveness {
  const range = c.nodes.slice(from, to);
  const graphOutputs = new Set(c.graph.output.map((o) => o.name));
  const made = new Map<string, number>();
  range.forEach((r, i) => r.node.output.forEach((o) => o && made.set(o, i)));
  const laterReads = new Set<string>();
  for (const r of c.nodes.slice(to)) for (const v of nodeReads(r.node)) laterReads.add(v);
  const lastUse = new Map<string, number>();
  range.forEach((r, i) => nodeReads(r.node).forEach((v) => lastUse.set(v, i)));
  const size = (v: string) =>
    c.statics.values.has(v) ? 0 : bytesOf(lookup(c.facts, v) ?? { type: 1, dims: [] });

  const inputs = [...new Set(range.flatMap((r) => nodeReads(r.node)))].filter(
    (v) => !made.has(v) && !c.statics.values.has(v) && lookup(c.facts, v),
  );
  const outputs = [...made.keys()].filter((v) => graphOutputs.has(v) || laterReads.has(v));
  const keep = new Set(outputs);
  // Views share a buffer with their source: count the root once, free it when the last alias dies.
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  const rootLast = new Map<string, number>();
  const touch = (v: string, i: number) =>
    rootLast.set(rootOf(v), Math.max(rootLast.get(rootOf(v)) ?? -1, keep.has(v) ? Infinity : i));
  range.forEach((r) => {
    if (VIEW_OPS.has(r.node.opType) && r.node.input[0] && r.node.output[0])
      root.set(r.node.output[0], rootOf(r.node.input[0]));
  });
  for (const [v, i] of lastUse) touch(v, i);
  for (const v of keep) touch(v, Infinity);

  const inputsLive = opts.inputsLive ?? true;
  let live = inputsLive ? inputs.reduce((a, v) => a + size(v), 0) : 0;
  let peak = live;
  const freeAt = new Map<number, string[]>();
  for (const [r, i] of rootLast)
    if (Number.isFinite(i) && !(inputsLive && inputs.includes(r)))
      (freeAt.get(i) ?? freeAt.set(i, []).get(i)!).push(r);
  range.forEach((r, i) => {
    live += r.outBytes;
    const inner =
      r.innerPeak -
      (opts.runtimeWeights === false ? r.runtimeWeights : 0) +
      (opts.scratch === false ? 0 : r.scratch);
    peak = Math.max(peak, live + inner);
    for (const v of freeAt.get(i) ?? []) live -= sizeOfRoot(v);
  });
  function sizeOfRoot(v: string): number {
    const p = made.get(v);
    if (p === undefined) return 0;
    const n = range[p]!.node;
    return VIEW_OPS.has(n.opType) ? 0 : size(v);
  }
  return {
    peak,
    inputBytes: inputs.reduce((a, v) => a + size(v), 0),
    outputBytes: outputs.reduce((a, v) => a + size(v), 0),
    inputs,
    outputs,
  };
}

/** Distinct weight bytes of nodes [from, to). */
export function weightBytesOf(c: GraphCosts, from: number, to: number): number {
  const names = new Set<string>();
  for (const r of c.nodes.slice(from, to)) for (const w of r.weights) names.add(w);
  let total = 0;
  for (const n of names) total += c.weightBytes.get(n) ?? 0;
  return total;
}
