// Walking graphs with their control-flow subgraphs (If branches, Loop/Scan bodies). Subgraphs read values of
// enclosing graphs by name (lexical scoping): optimum's merged decoder keeps every weight in the outer graph
// and both If branches read them that way, so tools must follow names across scopes.
import { AttributeType, type GraphProto, type NodeProto } from "./proto";

export interface GraphVisit {
  graph: GraphProto;
  /** Enclosing graphs, outermost first (empty for the main graph). */
  ancestors: GraphProto[];
  /** The node that owns this graph as an attribute (undefined for the main graph). */
  owner?: NodeProto;
  /** Attribute name under which the owner holds it ("then_branch", "else_branch", "body"). */
  attribute?: string;
}

/** Subgraphs held by a node's attributes, with the attribute names. */
export function subgraphsOf(node: NodeProto): { attribute: string; graph: GraphProto }[] {
  const out: { attribute: string; graph: GraphProto }[] = [];
  for (const a of node.attribute) {
    if (a.type === AttributeType.GRAPH && a.g) out.push({ attribute: a.name, graph: a.g });
    if (a.type === AttributeType.GRAPHS) for (const g of a.graphs) out.push({ attribute: a.name, graph: g });
  }
  return out;
}

/** Visits the graph and every nested subgraph, depth first, parents before children. */
export function* walkGraphs(
  graph: GraphProto,
  ancestors: GraphProto[] = [],
  owner?: NodeProto,
  attribute?: string,
): Generator<GraphVisit> {
  yield { graph, ancestors, owner, attribute };
  for (const node of graph.node) {
    for (const sub of subgraphsOf(node))
      yield* walkGraphs(sub.graph, [...ancestors, graph], node, sub.attribute);
  }
}

/** Every node of the graph and its subgraphs, with the graph that holds it. */
export function* walkNodes(
  graph: GraphProto,
): Generator<{ node: NodeProto; graph: GraphProto; ancestors: GraphProto[] }> {
  for (const v of walkGraphs(graph))
    for (const node of v.graph.node) yield { node, graph: v.graph, ancestors: v.ancestors };
}

/** Names a graph defines itself: its inputs, initializers and node outputs. */
export function definedNames(graph: GraphProto): Set<string> {
  const s = new Set<string>();
  for (const i of graph.input) s.add(i.name);
  for (const t of graph.initializer) s.add(t.name);
  for (const n of graph.node) for (const o of n.output) if (o) s.add(o);
  return s;
}

/**
 * Names a graph (including its nested subgraphs) reads from enclosing scopes: used but not defined inside.
 * For an If branch of the merged decoder this is the list of outer weights and inputs it depends on.
 */
export function outerScopeReferences(graph: GraphProto): Set<string> {
  const defined = definedNames(graph);
  const refs = new Set<string>();
  for (const node of graph.node) {
    for (const i of node.input) if (i && !defined.has(i)) refs.add(i);
    for (const sub of subgraphsOf(node))
      for (const r of outerScopeReferences(sub.graph)) if (!defined.has(r)) refs.add(r);
  }
  for (const o of graph.output) if (!defined.has(o.name)) refs.add(o.name);
  return refs;
}

/** For each value name in the graph and its subgraphs, the nodes that read it. */
export function consumers(graph: GraphProto): Map<string, NodeProto[]> {
  const m = new Map<string, NodeProto[]>();
  for (const { node } of walkNodes(graph)) {
    for (const i of node.input) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(node);
      else m.set(i, [node]);
    }
  }
  return m;
}

/** For each value produced by a node of this graph (not subgraphs), that node. */
export function producers(graph: GraphProto): Map<string, NodeProto> {
  const m = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) if (o) m.set(o, n);
  return m;
}

/**
 * Renames value references everywhere (node inputs in the graph and all subgraphs, graph outputs), respecting
 * shadowing: a subgraph that defines the same name itself keeps its own.
 */
export function renameReferences(graph: GraphProto, from: string, to: string): void {
  for (const n of graph.node) {
    n.input = n.input.map((i) => (i === from ? to : i));
    for (const sub of subgraphsOf(n))
      if (!definedNames(sub.graph).has(from)) renameReferences(sub.graph, from, to);
  }
  for (const o of graph.output) if (o.name === from) o.name = to;
}

/** Counts of op types over the graph and its subgraphs, e.g. for reports and tests. */
export function opHistogram(graph: GraphProto): Map<string, number> {
  const m = new Map<string, number>();
  for (const { node } of walkNodes(graph)) {
    const k = node.domain ? `${node.domain}::${node.opType}` : node.opType;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
