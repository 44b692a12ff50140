// Quantizes one ONNX model in place: every graph, If branches included, is rewritten node by node; quantized
// weights are added next to their fp32 originals (the outer graph, for the merged decoder's shared weights),
// and originals that nothing reads any more are dropped. Inputs and outputs are untouched.
import { create } from "@bufbuild/protobuf";
import {
  consumers,
  OperatorSetIdProtoSchema,
  walkGraphs,
  type ExternalLoader,
  type GraphProto,
  type ModelProto,
  type NodeProto,
} from "../onnx-graph";
import type { KeptWeight, Replacement, RewriteContext, RewriteLog } from "./context";
import { DEFAULT_OPTIONS, type QuantOptions } from "./options";
import { rewriteConv } from "./rewrite-conv";
import { rewriteGather } from "./rewrite-gather";
import { MS_DOMAIN, rewriteGemm, rewriteMatMul } from "./rewrite-matmul";
import { collectNames, indexGraph, NameRegistry } from "./scope";
import { WeightQuantizer, type QuantizedWeight } from "./weights";

export interface ModelReport {
  rewrites: Record<string, number>;
  kept: KeptWeight[];
  quantized: { count: number; elements: number; worstWeightRelError: number; worstWeight?: string };
  /** fp32 initializers removed because only rewritten nodes read them. */
  removedInitializers: number;
}

const REWRITES: Record<string, (ctx: RewriteContext, n: NodeProto) => Replacement | undefined> = {
  MatMul: rewriteMatMul,
  Gemm: rewriteGemm,
  Conv: rewriteConv,
  Gather: rewriteGather,
};

function defaultOpset(model: ModelProto): number {
  return Number(model.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0);
}

export function quantizeModel(
  model: ModelProto,
  options: Partial<QuantOptions> = {},
  load?: ExternalLoader,
): ModelReport {
  const root = model.graph;
  if (!root) throw new Error("model has no graph");
  const opts: QuantOptions = { ...DEFAULT_OPTIONS, ...options };
  const names = new NameRegistry(collectNames(root));
  const weights = new WeightQuantizer(names, load);
  const log: RewriteLog = { rewrites: {}, kept: [], removedValues: new Set() };
  for (const visit of [...walkGraphs(root)]) {
    const graphs = [...visit.ancestors, visit.graph];
    const ctx: RewriteContext = {
      scope: { graphs, indexes: graphs.map(indexGraph) },
      graph: visit.graph,
      // Readers within this graph and its subgraphs: sibling If branches reuse value names independently.
      consumers: consumers(visit.graph),
      weights,
      names,
      options: opts,
      opset: defaultOpset(model),
      log,
    };
    rewriteGraph(ctx);
  }

  const sources = new Set(weights.quantized.map((q) => q.source.name));
  dropDeadIdentities(root);
  const removed = dropUnused(root, sources);
  for (const v of walkGraphs(root))
    v.graph.valueInfo = v.graph.valueInfo.filter((vi) => !log.removedValues.has(vi.name));
  if (
    Object.keys(log.rewrites).some((k) => k.includes("DynamicQuantizeMatMul")) &&
    !model.opsetImport.some((o) => o.domain === MS_DOMAIN)
  ) {
    model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: MS_DOMAIN, version: 1n }));
  }
  return {
    rewrites: log.rewrites,
    kept: log.kept,
    quantized: summarise(weights.quantized),
    removedInitializers: removed,
  };
}

function rewriteGraph(ctx: RewriteContext): void {
  const dropped = new Set<NodeProto>();
  const out: NodeProto[] = [];
  for (const n of ctx.graph.node) {
    if (dropped.has(n)) continue;
    const r = n.domain === "" || n.domain === "ai.onnx" ? REWRITES[n.opType]?.(ctx, n) : undefined;
    if (!r) {
      out.push(n);
      continue;
    }
    out.push(...r.nodes);
    for (const d of r.drop ?? []) {
      dropped.add(d);
      const i = out.indexOf(d);
      if (i >= 0) out.splice(i, 1);
    }
  }
  ctx.graph.node = out;
}

/** Names read by some node of any graph, or output by a graph. */
function readNames(root: GraphProto): Set<string> {
  const read = new Set<string>();
  for (const v of walkGraphs(root)) {
    for (const n of v.graph.node) for (const i of n.input) if (i) read.add(i);
    for (const o of v.graph.output) read.add(o.name);
  }
  return read;
}

/** Identity nodes nobody reads any more (they forwarded a weight to a node that now reads its int8 copy). */
function dropDeadIdentities(root: GraphProto): void {
  for (let changed = true; changed;) {
    changed = false;
    const read = readNames(root);
    for (const v of walkGraphs(root)) {
      const before = v.graph.node.length;
      v.graph.node = v.graph.node.filter(
        (n) => !(n.opType === "Identity" && n.domain === "" && !read.has(n.output[0]!)),
      );
      changed ||= v.graph.node.length !== before;
    }
  }
}

/** Removes the quantized originals that no node (in any graph) and no graph output reads any more. */
function dropUnused(root: GraphProto, candidates: Set<string>): number {
  const read = readNames(root);
  let removed = 0;
  for (const v of walkGraphs(root)) {
    const before = v.graph.initializer.length;
    v.graph.initializer = v.graph.initializer.filter((t) => !candidates.has(t.name) || read.has(t.name));
    removed += before - v.graph.initializer.length;
  }
  return removed;
}

function summarise(qs: QuantizedWeight[]): ModelReport["quantized"] {
  const worst = qs.reduce<QuantizedWeight | undefined>(
    (w, q) => (!w || q.maxRelError > w.maxRelError ? q : w),
    undefined,
  );
  return {
    count: new Set(qs.map((q) => q.source.name)).size,
    elements: qs.reduce((a, q) => a + q.elements, 0),
    worstWeightRelError: worst?.maxRelError ?? 0,
    worstWeight: worst?.source.name,
  };
}
