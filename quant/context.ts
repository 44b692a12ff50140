// State shared by the per-op rewrites of one model: the scope of the graph being rewritten, the weight cache,
// the names in use, the options, and the log that becomes the report.
import type { GraphProto, NodeProto } from "../onnx-graph";
import type { KeepReason, QuantOptions } from "./options";
import type { NameRegistry, Scope } from "./scope";
import type { WeightQuantizer } from "./weights";

export interface KeptWeight {
  weight: string;
  node: string;
  op: string;
  reason: KeepReason;
}

export interface RewriteLog {
  /** Rewritten nodes by kind, e.g. "MatMul→DynamicQuantizeMatMul". */
  rewrites: Record<string, number>;
  kept: KeptWeight[];
  /** Value names that no longer exist (outputs of MatMuls whose bias Add was fused into them). */
  removedValues: Set<string>;
}

export interface RewriteContext {
  scope: Scope;
  /** The graph whose nodes are being rewritten (the last of scope.graphs). */
  graph: GraphProto;
  /** Readers of every value name in the graph being rewritten and its subgraphs. */
  consumers: Map<string, NodeProto[]>;
  weights: WeightQuantizer;
  names: NameRegistry;
  options: QuantOptions;
  /** Default-domain opset of the model (DequantizeLinear's axis needs 13). */
  opset: number;
  log: RewriteLog;
}

/** The nodes that replace one node, or undefined to keep it. `drop` lists other nodes made redundant. */
export interface Replacement {
  nodes: NodeProto[];
  drop?: NodeProto[];
}

export function count(log: RewriteLog, kind: string): void {
  log.rewrites[kind] = (log.rewrites[kind] ?? 0) + 1;
}

/** Applies the size and exclusion policy; logs and returns false when the weight stays fp32. */
export function admit(ctx: RewriteContext, weight: string, node: NodeProto, elements: number): boolean {
  const keep = (reason: KeepReason) => {
    ctx.log.kept.push({ weight, node: node.name, op: node.opType, reason });
    return false;
  };
  if (ctx.options.exclude.some((r) => r.test(weight) || r.test(node.name))) return keep("excluded");
  if (elements < ctx.options.minElements) return keep("small");
  return true;
}
