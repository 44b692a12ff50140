// Which values of a graph are static: initializers, Constant outputs, and anything computed from those alone
// (e.g. DequantizeLinear of an int8 weight). Static values never cross a cut: the nodes that make them are
// copied into every piece that reads them, so pieces pass only activations (and shape values) between them.
import { outerScopeReferences, subgraphsOf, type GraphProto, type NodeProto } from "../../onnx-graph";

export interface GraphStatics {
  /** Static value names (initializers of this graph and the enclosing ones, Constant outputs, derived). */
  values: Set<string>;
  /** The node producing each static value (absent for initializers). */
  producer: Map<string, NodeProto>;
}

/** `outerStatic` names static values of enclosing graphs (for If branches: the outer initializers). */
export function findStatics(graph: GraphProto, outerStatic: ReadonlySet<string> = new Set()): GraphStatics {
  const values = new Set<string>(outerStatic);
  const producer = new Map<string, NodeProto>();
  for (const t of graph.initializer) values.add(t.name);
  // A graph input shadows an outer static of the same name.
  for (const i of graph.input) values.delete(i.name);
  for (const n of graph.node) {
    if (subgraphsOf(n).length > 0) continue;
    const ins = n.input.filter((i) => i);
    if (!ins.every((i) => values.has(i))) continue;
    if (n.opType === "Shape" || n.opType === "Size") continue; // shapes of statics are fine, but keep it simple
    for (const o of n.output) {
      if (!o) continue;
      values.add(o);
      producer.set(o, n);
    }
  }
  return { values, producer };
}

/** Nodes (in graph order) that produce the given static values, transitively. */
export function staticClosure(names: Iterable<string>, s: GraphStatics, graph: GraphProto): NodeProto[] {
  const need = new Set<NodeProto>();
  const stack = [...names];
  while (stack.length) {
    const v = stack.pop()!;
    const p = s.producer.get(v);
    if (!p || need.has(p)) continue;
    need.add(p);
    for (const i of p.input) if (i) stack.push(i);
  }
  return graph.node.filter((n) => need.has(n));
}

/** Every value a node reads: its inputs and the outer-scope names its subgraphs read. */
export function nodeReads(n: NodeProto): string[] {
  const out = n.input.filter((i) => i);
  for (const sub of subgraphsOf(n)) for (const r of outerScopeReferences(sub.graph)) out.push(r);
  return out;
}
