// Evaluates a graph's shapes at concrete input shapes: every value's element type and dims, and the values of
// small tensors (so Reshape targets, Slice bounds and Range lengths computed from shapes resolve). If nodes
// evaluate the branch their (known) condition selects; outer-scope names resolve through enclosing graphs.
import { attributeValue, type ExternalLoader, type GraphProto, type NodeProto } from "../../onnx-graph";
import { tensorFacts, type Facts } from "./facts";
import { inferNode } from "./ops";

export interface GraphFacts {
  graph: GraphProto;
  values: Map<string, Facts>;
  /** Facts of the subgraphs that ran (If branches), by owning node. */
  subgraphs: Map<NodeProto, GraphFacts>;
  parent?: GraphFacts;
}

export function lookup(g: GraphFacts | undefined, name: string): Facts | undefined {
  for (let s = g; s; s = s.parent) {
    const f = s.values.get(name);
    if (f) return f;
  }
  return undefined;
}

/**
 * Facts for every value of `graph` given its inputs' facts. Initializers need `load` only when small ones are
 * stored externally (writers keep those inline).
 */
export function evaluateGraph(
  graph: GraphProto,
  inputs: Record<string, Facts>,
  load?: ExternalLoader,
  parent?: GraphFacts,
): GraphFacts {
  const gf: GraphFacts = { graph, values: new Map(), subgraphs: new Map(), parent };
  for (const t of graph.initializer) gf.values.set(t.name, tensorFacts(t, load));
  for (const i of graph.input) {
    const f = inputs[i.name];
    if (f) gf.values.set(i.name, f);
    else if (!gf.values.has(i.name) && !parent) throw new Error(`no facts given for graph input ${i.name}`);
  }
  for (const n of graph.node) {
    const ins = n.input.map((name) => (name ? lookup(gf, name) : undefined));
    let outs: Facts[];
    try {
      outs = n.opType === "If" ? evaluateIf(n, ins[0], gf, load) : inferNode(n, ins);
    } catch (e) {
      throw new Error(`shape evaluation failed at ${n.opType} '${n.name}': ${(e as Error).message}`, {
        cause: e,
      });
    }
    n.output.forEach((o, i) => {
      const f = outs[i];
      if (o && f) gf.values.set(o, f);
    });
  }
  return gf;
}

function evaluateIf(n: NodeProto, cond: Facts | undefined, gf: GraphFacts, load?: ExternalLoader): Facts[] {
  if (!cond?.value) throw new Error(`If ${n.name}: the condition must be known at plan time`);
  const branchName = cond.value[0] ? "then_branch" : "else_branch";
  const a = n.attribute.find((x) => x.name === branchName);
  const branch = a ? (attributeValue(a) as GraphProto) : undefined;
  if (!branch) throw new Error(`If ${n.name} has no ${branchName}`);
  const sub = evaluateGraph(branch, {}, load, gf);
  gf.subgraphs.set(n, sub);
  return branch.output.map((o) => {
    const f = sub.values.get(o.name) ?? lookup(gf, o.name);
    if (!f) throw new Error(`If ${n.name}: branch output ${o.name} unknown`);
    return f;
  });
}
