// Cuts a graph into pieces that run one after another: every non-static node goes to one piece (the caller
// decides which, in graph order); static producers (Constants, weight dequantization) are copied into each
// piece that reads them. A piece's inputs are the activations it reads but does not make; its outputs are what
// later pieces read plus the original graph outputs it makes. Names are kept, so pieces chain by name.
import { create } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  valueInfo,
  type DataType,
  type Dim,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "../../onnx-graph";
import { findStatics, nodeReads, staticClosure } from "./statics";

export interface ValueType {
  type: DataType;
  dims: Dim[] | null;
}

export interface Piece {
  graph: GraphProto;
  inputs: string[];
  outputs: string[];
}

export interface CutOptions {
  /** Element type (and dims, when to be declared) of an intermediate value. */
  typeOf: (name: string) => ValueType;
  /** Extra values each piece must output (e.g. for a stage boundary), by piece index. */
  keep?: (piece: number) => Iterable<string>;
  /** Initializers of enclosing scopes that nodes may read (If branches), by name. */
  outerInitializers?: Map<string, TensorProto>;
}

export function cutGraph(
  graph: GraphProto,
  pieceOf: (n: NodeProto) => number,
  count: number,
  opts: CutOptions,
): Piece[] {
  const statics = findStatics(graph, new Set(opts.outerInitializers?.keys() ?? []));
  const inits = new Map<string, TensorProto>([
    ...(opts.outerInitializers ?? []),
    ...graph.initializer.map((t) => [t.name, t] as const),
  ]);
  const graphInputs = new Map(graph.input.map((i) => [i.name, i]));
  const graphOutputs = new Map(graph.output.map((o) => [o.name, o]));
  const dynamicNodes = graph.node.filter((n) => !n.output.some((o) => o && statics.producer.get(o) === n));

  // Which piece makes each dynamic value, and the last piece that reads it.
  const madeIn = new Map<string, number>();
  const lastRead = new Map<string, number>();
  for (const n of dynamicNodes) {
    const p = pieceOf(n);
    if (p < 0 || p >= count) throw new Error(`node ${n.name} assigned to piece ${p} of ${count}`);
    for (const r of nodeReads(n)) {
      const m = madeIn.get(r);
      if (m !== undefined && m > p)
        throw new Error(`node ${n.name} (piece ${p}) reads ${r} made later (piece ${m})`);
      lastRead.set(r, Math.max(lastRead.get(r) ?? -1, p));
    }
    for (const o of n.output) if (o) madeIn.set(o, p);
  }

  const pieces: Piece[] = [];
  for (let p = 0; p < count; p++) {
    const nodes = dynamicNodes.filter((n) => pieceOf(n) === p);
    const made = new Set(nodes.flatMap((n) => n.output.filter((o) => o)));
    const reads = new Set(nodes.flatMap(nodeReads));
    const staticNodes = staticClosure(
      [...reads].filter((r) => statics.values.has(r)),
      statics,
      graph,
    );
    const staticReads = new Set(staticNodes.flatMap(nodeReads));
    const usedInits = [...new Set([...reads, ...staticReads])].filter((r) => inits.has(r) && !made.has(r));

    const inputs = [...reads].filter((r) => !made.has(r) && !statics.values.has(r));
    const extra = new Set(opts.keep?.(p) ?? []);
    const outputs = [...made].filter(
      (v) => graphOutputs.has(v) || (lastRead.get(v) ?? -1) > p || extra.has(v),
    );
    for (const v of extra)
      if (!made.has(v)) throw new Error(`piece ${p} cannot output ${v}: it does not make it`);

    const decl = (name: string): ValueInfoProto =>
      graphInputs.get(name) ?? graphOutputs.get(name) ?? declare(name, opts.typeOf(name));
    const order = new Set([...staticNodes, ...nodes]);
    pieces.push({
      graph: create(GraphProtoSchema, {
        name: `${graph.name}_piece${p}`,
        node: graph.node.filter((n) => order.has(n)),
        initializer: usedInits.map((n) => inits.get(n)!),
        input: inputs.map(decl),
        output: outputs.map(decl),
      }),
      inputs,
      outputs,
    });
  }
  return pieces;
}

function declare(name: string, t: ValueType): ValueInfoProto {
  return valueInfo(name, t.type, t.dims);
}
