// Finding the constant behind a node input, across graph scopes. Nodes of an If branch read the outer graph's
// initializers by name (optimum's merged decoder keeps every weight outside its branches), and the PyTorch
// exporter sometimes reads a shared initializer through an Identity node, so a weight is found by walking
// from the node's own graph outwards and through Identity chains.
import { DataType, type GraphProto, type NodeProto, type TensorProto } from "../onnx-graph";

export interface ResolvedConstant {
  tensor: TensorProto;
  /** The graph whose initializer list holds the tensor (where quantized copies are added too). */
  owner: GraphProto;
}

/** Per-graph lookup tables, built once per rewrite pass. */
export interface ScopeIndex {
  initializers: Map<string, TensorProto>;
  producers: Map<string, NodeProto>;
  inputs: Set<string>;
}

export function indexGraph(g: GraphProto): ScopeIndex {
  const producers = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) if (o) producers.set(o, n);
  return {
    initializers: new Map(g.initializer.map((t) => [t.name, t])),
    producers,
    inputs: new Set(g.input.map((i) => i.name)),
  };
}

/** A chain of scopes, outermost first; the last one is the graph that holds the node being rewritten. */
export interface Scope {
  graphs: GraphProto[];
  indexes: ScopeIndex[];
}

/**
 * The fp32 initializer that `name` denotes in `scope`, or undefined when it is computed, a graph input (an
 * initializer that is also an input can be overridden by the caller, so it is not a constant) or not fp32.
 */
export function resolveConstant(scope: Scope, name: string): ResolvedConstant | undefined {
  let current = name;
  for (let level = scope.graphs.length - 1; level >= 0; level--) {
    const idx = scope.indexes[level]!;
    // Follow Identity chains within this level (and its enclosing levels, via the loop).
    for (let hops = 0; hops < 16; hops++) {
      if (idx.inputs.has(current)) return undefined;
      const t = idx.initializers.get(current);
      if (t) return t.dataType === DataType.FLOAT ? { tensor: t, owner: scope.graphs[level]! } : undefined;
      const p = idx.producers.get(current);
      if (!p) break;
      if (p.opType !== "Identity" || p.domain !== "") return undefined;
      current = p.input[0]!;
    }
  }
  return undefined;
}

/** Every name used anywhere in the model, so that new names never collide or shadow. */
export function collectNames(root: GraphProto, into = new Set<string>()): Set<string> {
  for (const i of root.input) into.add(i.name);
  for (const o of root.output) into.add(o.name);
  for (const t of root.initializer) into.add(t.name);
  for (const v of root.valueInfo) into.add(v.name);
  for (const n of root.node) {
    for (const x of [...n.input, ...n.output]) if (x) into.add(x);
    if (n.name) into.add(n.name);
    for (const a of n.attribute) for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) collectNames(g, into);
  }
  return into;
}

export class NameRegistry {
  constructor(private readonly used: Set<string>) {}

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}
