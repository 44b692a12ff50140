// optimum's `merge_decoders` (optimum/onnx/graph_transformations.py + transformations_utils.py), rewritten
// for our protobuf-es models: the no-past and with-past decoders become the else/then branches of one `If`
// on `use_cache_branch`, every weight stored once in the outer graph (FLORENCE2-ARCHITECTURE.md §5.3).
// Reproduced step by step so that our merged file has the layout of the published ones:
//  1. outputs unified on the no-past decoder's (strict=false: outputs the with-past one lacks, the constant
//     cross-attention K/V, become Constant nodes with EMPTY tensors, first symbolic dim 0, later ones 1);
//  2. outer inputs = union of both graphs' inputs, no-past first, then `use_cache_branch` bool [1];
//  3. initializers of rank ≥ 2, or rank 1 and not int32/int64, grouped by (dtype, SHA-512 of the data, dims)
//     across both graphs; each group gets ONE name `<name>_<graphName>_<k>` and one copy in the outer graph;
//     rank-0 and rank-1 int initializers stay in their own branch;
//  4. one If node `optimum::if`, then = with_past, else = no_past, branches without formal inputs;
//  5. graph "merged", producer "optimum-onnx", IR 9, opset imports = union by domain.
// Differences from optimum: a group's common name is its first member (optimum pops an arbitrary one from a
// set), renaming also follows nested subgraphs, and the inputs are never modified (optimum edits in place).
import { createHash } from "node:crypto";
import { clone, create, equals } from "@bufbuild/protobuf";
import {
  DataType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  definedNames,
  dimsOf,
  makeAttribute,
  subgraphsOf,
  tensorBytes,
  tensorTypeOf,
  valueInfo,
  type Dim,
  type ExternalLoader,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "../onnx-graph";

export interface MergeOptions {
  /** Name of the outer graph, also the suffix of the shared initializers' names. Default "merged". */
  graphName?: string;
  producerName?: string;
  /**
   * true: both decoders must have the same outputs. Default false, as optimum's seq2seq export calls it:
   * the with-past decoder does not output the (constant) cross-attention cache.
   */
  strict?: boolean;
  /** Loader for initializers stored as external data (needed to hash them). */
  load?: ExternalLoader;
}

/** A decoder graph being prepared as a branch: copied node list (inputs get renamed) and outputs. */
interface Work {
  nodes: NodeProto[];
  outputs: ValueInfoProto[];
  initializers: TensorProto[];
}

export function mergeDecoders(
  decoder: ModelProto,
  decoderWithPast: ModelProto,
  opts: MergeOptions = {},
): ModelProto {
  const graphName = opts.graphName ?? "merged";
  const g1 = decoder.graph;
  const g2 = decoderWithPast.graph;
  if (!g1 || !g2) throw new Error("mergeDecoders: both models need a graph");
  const v1 = decoder.opsetImport[0]?.version;
  const v2 = decoderWithPast.opsetImport[0]?.version;
  if (v1 !== v2)
    throw new Error(`decoder opset is ${v1}, decoder with past opset is ${v2}: they must match to be merged`);

  const noPast = workOf(g1);
  const withPast = workOf(g2);
  unifyOutputs(noPast, withPast, opts.strict ?? false);
  const inputs = unionInputs([g1, g2]);
  const shared = deduplicateInitializers([noPast, withPast], graphName, opts.load);

  const noPastBranch = branch(noPast, "no_past");
  const withPastBranch = branch(withPast, "with_past");
  const ifNode = create(NodeProtoSchema, {
    name: "optimum::if",
    opType: "If",
    input: ["use_cache_branch"],
    output: noPastBranch.output.map((o) => o.name),
    // onnx.helper.make_node writes attributes sorted by name.
    attribute: [makeAttribute("else_branch", noPastBranch), makeAttribute("then_branch", withPastBranch)],
  });
  const graph = create(GraphProtoSchema, {
    name: graphName,
    node: [ifNode],
    input: [...inputs, valueInfo("use_cache_branch", DataType.BOOL, [1])],
    output: noPastBranch.output.map((o) => clone(ValueInfoProtoSchema, o)),
    initializer: shared,
  });
  return create(ModelProtoSchema, {
    irVersion: 9n,
    producerName: opts.producerName ?? "optimum-onnx",
    opsetImport: unionOpsets([...decoder.opsetImport, ...decoderWithPast.opsetImport]),
    graph,
  });
}

function workOf(g: GraphProto): Work {
  return {
    nodes: g.node.map((n) => clone(NodeProtoSchema, n)),
    outputs: [...g.output],
    initializers: [...g.initializer],
  };
}

/** A branch keeps its nodes and only the initializers not moved to the outer graph. */
function branch(w: Work, name: string): GraphProto {
  return create(GraphProtoSchema, {
    name,
    node: w.nodes,
    input: [],
    output: w.outputs,
    initializer: w.initializers.filter((t) => !isShareable(t)),
  });
}

// ---- 1. outputs -------------------------------------------------------------------------------------------

function unifyOutputs(ref: Work, other: Work, strict: boolean): void {
  const refNames = new Set(ref.outputs.map((o) => o.name));
  const otherNames = new Set(other.outputs.map((o) => o.name));
  const differ = refNames.size !== otherNames.size || [...refNames].some((n) => !otherNames.has(n));
  if (differ && strict) {
    const onlyRef = [...refNames].filter((n) => !otherNames.has(n));
    const onlyOther = [...otherNames].filter((n) => !refNames.has(n));
    throw new Error(
      `strict merge: outputs only in the decoder: [${onlyRef.join(", ")}], only in the decoder with past: [${onlyOther.join(", ")}]`,
    );
  }
  if ([...otherNames].some((n) => !refNames.has(n)))
    throw new Error("the decoder with past must not have outputs the decoder lacks");

  ref.outputs.forEach((o1, idx) => {
    const o2 = other.outputs[idx];
    if (o2 && equals(ValueInfoProtoSchema, o1, o2)) return;
    const t1 = tensorTypeOf(o1);
    if (!t1) throw new Error(`output ${o1.name} is not a tensor`);
    if (o2 && o2.name === o1.name && tensorTypeOf(o2)?.elemType === t1.elemType) {
      // Same output, different shape annotation: the no-past declaration wins.
      other.outputs[idx] = valueInfo(o1.name, t1.elemType, declaredShape(o1));
      return;
    }
    if (strict || otherNames.has(o1.name)) {
      throw new Error(
        `cannot match output ${o1.name} with ${o2?.name ?? "(none)"}: same outputs, types and order are required`,
      );
    }
    other.nodes.push(emptyConstant(o1, other.nodes.length + 1));
    other.outputs.splice(idx, 0, valueInfo(o1.name, t1.elemType, declaredShape(o1)));
  });

  const same =
    ref.outputs.length === other.outputs.length &&
    ref.outputs.every((o, i) => equals(ValueInfoProtoSchema, o, other.outputs[i]!));
  if (!same) throw new Error("failed to unify the outputs of the two decoders");
}

/** optimum's `_infer_output_shape`: every dim must be named or a non-zero number. */
function declaredShape(o: ValueInfoProto): Dim[] {
  const dims = tensorTypeOf(o)?.dims;
  if (!dims) throw new Error(`output ${o.name} has no shape`);
  return dims.map((d) => {
    if (d === null || d === 0 || d === "")
      throw new Error(`output ${o.name}: a dimension has neither dim_param nor dim_value`);
    return d;
  });
}

/** An empty tensor standing in for a missing output: first symbolic axis 0, later symbolic axes 1. */
function emptyConstant(o: ValueInfoProto, index: number): NodeProto {
  const t = tensorTypeOf(o)!;
  const dims = declaredShape(o);
  if (!dims.some((d) => typeof d === "string"))
    throw new Error(`output ${o.name}: a static shape cannot be replaced by an empty constant`);
  let first = true;
  const shape = dims.map((d) => {
    if (typeof d === "number") return d;
    const v = first ? 0 : 1;
    first = false;
    return v;
  });
  const value = create(TensorProtoSchema, {
    name: "const_tensor",
    dataType: t.elemType,
    dims: shape.map(BigInt),
  });
  return create(NodeProtoSchema, {
    name: `Constant_${index}`,
    opType: "Constant",
    output: [o.name],
    attribute: [makeAttribute("value", value)],
  });
}

// ---- 2. inputs --------------------------------------------------------------------------------------------

function unionInputs(graphs: GraphProto[]): ValueInfoProto[] {
  const seen = new Set<string>();
  const out: ValueInfoProto[] = [];
  for (const g of graphs) {
    for (const i of g.input) {
      if (seen.has(i.name)) continue;
      seen.add(i.name);
      out.push(clone(ValueInfoProtoSchema, i));
    }
  }
  return out;
}

// ---- 3. initializers --------------------------------------------------------------------------------------

/** Shape constants (rank 0, or rank 1 int32/int64) stay in their branch; everything else is shared. */
function isShareable(t: TensorProto): boolean {
  const rank = t.dims.length;
  return rank > 1 || (rank === 1 && t.dataType !== DataType.INT32 && t.dataType !== DataType.INT64);
}

function deduplicateInitializers(works: Work[], suffix: string, load?: ExternalLoader): TensorProto[] {
  // Groups of identical tensors, in order of first appearance; members are (model index, name).
  const groups = new Map<string, { model: number; name: string }[]>();
  const digest = digester(load);
  works.forEach((w, model) => {
    for (const t of w.initializers) {
      if (!isShareable(t)) continue;
      const key = `${t.dataType}|${digest(t)}|${dimsOf(t).join(",")}`;
      const members = groups.get(key);
      if (members) members.push({ model, name: t.name });
      else groups.set(key, [{ model, name: t.name }]);
    }
  });

  // One name per group; k counts groups whose common name clashes (e.g. onnx::MatMul_1000 in both exports).
  const newName = works.map(() => new Map<string, string>());
  const used = new Map<string, number>();
  for (const members of groups.values()) {
    const common = members[0]!.name;
    const k = used.has(common) ? used.get(common)! + 1 : 0;
    used.set(common, k);
    for (const m of members) newName[m.model]!.set(m.name, `${common}_${suffix}_${k}`);
  }

  works.forEach((w, model) => renameInputs(w.nodes, newName[model]!));
  const out: TensorProto[] = [];
  const emitted = new Set<string>();
  works.forEach((w, model) => {
    for (const t of w.initializers) {
      const name = newName[model]!.get(t.name);
      if (name === undefined || emitted.has(name)) continue;
      emitted.add(name);
      out.push(renamedTensor(t, name));
    }
  });
  return out;
}

/**
 * SHA-512 of a tensor's bytes, computed once per byte range: two graphs built from one weight cache hold
 * views of the same buffers, and hashing 388 MB twice costs seconds.
 */
function digester(load?: ExternalLoader): (t: TensorProto) => string {
  const seen = new WeakMap<ArrayBufferLike, Map<string, string>>();
  return (t) => {
    const bytes = tensorBytes(t, load);
    const range = `${bytes.byteOffset}:${bytes.byteLength}`;
    let ranges = seen.get(bytes.buffer);
    if (!ranges) seen.set(bytes.buffer, (ranges = new Map()));
    let d = ranges.get(range);
    if (d === undefined) ranges.set(range, (d = createHash("sha512").update(bytes).digest("hex")));
    return d;
  };
}

/** Node inputs renamed, following subgraphs that do not define the name themselves. */
function renameInputs(nodes: NodeProto[], names: Map<string, string>): void {
  for (const n of nodes) {
    n.input = n.input.map((i) => names.get(i) ?? i);
    for (const sub of subgraphsOf(n)) {
      const own = definedNames(sub.graph);
      const visible = new Map([...names].filter(([from]) => !own.has(from)));
      if (visible.size > 0) renameInputs(sub.graph.node, visible);
    }
  }
}

/** A copy of the tensor under a new name that shares (does not copy) its data bytes. */
function renamedTensor(t: TensorProto, name: string): TensorProto {
  const raw = t.rawData;
  t.rawData = new Uint8Array(0);
  try {
    const c = clone(TensorProtoSchema, t);
    c.rawData = raw;
    c.name = name;
    return c;
  } finally {
    t.rawData = raw;
  }
}

type OpsetImport = ModelProto["opsetImport"][number];

function unionOpsets(imports: OpsetImport[]): OpsetImport[] {
  const seen = new Set<string>();
  return imports.filter((o) => (seen.has(o.domain) ? false : (seen.add(o.domain), true)));
}
