// Splits weights larger than one stored file (ONNX external data cannot spread a tensor over two files) by
// rewriting the ops that read them, with results identical to the original:
//   Gather(table, ids) on axis 0 → one Gather per row block with the ids shifted into the block (clamped),
//     the block results concatenated, and the right row picked per id by a final Gather (type-agnostic: the
//     int8 table of a quantized model works as well as fp32);
//   MatMul / DynamicQuantizeMatMul (A, W[K, N], ...) → one op per column block (with its per-column scales and
//     bias), concatenated on the last axis. Each output column is computed exactly as before.
import { create } from "@bufbuild/protobuf";
import {
  attributeValue,
  DataType,
  dimsOf,
  dtypeInfo,
  makeAttribute,
  NodeProtoSchema,
  TensorProtoSchema,
  tensorByteLength,
  tensorBytes,
  walkGraphs,
  type ExternalLoader,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from "../../onnx-graph";

export interface SplitReport {
  tensor: string;
  bytes: number;
  blocks: number;
  op: string;
}

function node(
  opType: string,
  input: string[],
  output: string[],
  name: string,
  attrs: ReturnType<typeof makeAttribute>[] = [],
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    domain: opType === "DynamicQuantizeMatMul" ? "com.microsoft" : "",
    input,
    output,
    name,
    attribute: attrs,
  });
}

function raw(name: string, dims: number[], type: DataType, bytes: Uint8Array): TensorProto {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: type, rawData: bytes });
}

function int64(name: string, values: number[], dims = [values.length]): TensorProto {
  return raw(name, dims, DataType.INT64, new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
}

/** Equal blocks of `total` items, each ≤ maxItems. */
function blocks(total: number, maxItems: number): [number, number][] {
  const k = Math.ceil(total / maxItems);
  const size = Math.ceil(total / k);
  return Array.from(
    { length: k },
    (_, i) => [i * size, Math.min(total, (i + 1) * size)] as [number, number],
  ).filter(([a, b]) => b > a);
}

/** Rows [r0, r1) of a row-major tensor. */
function rowSlice(t: TensorProto, bytes: Uint8Array, r0: number, r1: number, name: string): TensorProto {
  const dims = dimsOf(t);
  const row = bytes.length / dims[0]!;
  return raw(name, [r1 - r0, ...dims.slice(1)], t.dataType, bytes.slice(r0 * row, r1 * row));
}

/** Columns [c0, c1) of a [K, N] tensor (or of a [N] vector / [1, N] row). */
function colSlice(t: TensorProto, bytes: Uint8Array, c0: number, c1: number, name: string): TensorProto {
  const dims = dimsOf(t);
  const e = dtypeInfo(t.dataType).bytes;
  const n = dims[dims.length - 1]!;
  const rows = bytes.length / (n * e);
  const out = new Uint8Array(rows * (c1 - c0) * e);
  for (let r = 0; r < rows; r++)
    out.set(bytes.subarray((r * n + c0) * e, (r * n + c1) * e), r * (c1 - c0) * e);
  return raw(name, [...dims.slice(0, -1), c1 - c0], t.dataType, out);
}

/**
 * Rewrites every reader of every initializer of `graph` larger than `maxBytes`, including readers inside If
 * branches (the merged decoder's position table); the blocks become initializers of `graph`.
 */
export function splitLargeTensors(graph: GraphProto, maxBytes: number, load?: ExternalLoader): SplitReport[] {
  const reports: SplitReport[] = [];
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  let counter = 0;
  for (const t of [...graph.initializer]) {
    const size = tensorByteLength(t);
    if (size <= maxBytes) continue;
    const readers = [...walkGraphs(graph)].flatMap((v) =>
      v.graph.node.filter((n) => n.input.includes(t.name)).map((n) => ({ n, g: v.graph })),
    );
    if (readers.length === 0) continue;
    const bytes = tensorBytes(t, load);
    const blocksOf = new Map<string, TensorProto>();
    const add = (x: TensorProto) => {
      if (!blocksOf.has(x.name)) {
        blocksOf.set(x.name, x);
        graph.initializer.push(x);
      }
    };
    for (const { n, g } of readers) {
      const ctx: Ctx = { graph: g, add, prefix: `${n.name || t.name}/block-split${counter++}` };
      if (n.opType === "Gather" && n.input[0] === t.name)
        reports.push(splitGather(ctx, n, t, bytes, maxBytes));
      else if ((n.opType === "MatMul" || n.opType === "DynamicQuantizeMatMul") && n.input[1] === t.name)
        reports.push(splitMatMul(ctx, n, t, bytes, maxBytes, inits, load));
      else
        throw new Error(
          `${t.name} (${size} bytes) is larger than a file and read by ${n.opType} ${n.name}, which cannot be split`,
        );
    }
    graph.initializer = graph.initializer.filter((x) => x !== t);
  }
  return reports;
}

interface Ctx {
  /** The graph holding the reader (the main graph or an If branch). */
  graph: GraphProto;
  /** Adds an initializer to the main graph (once per name: several readers share a tensor's blocks). */
  add: (t: TensorProto) => void;
  prefix: string;
}

function replaceNode(graph: GraphProto, old: NodeProto, nodes: NodeProto[]): void {
  const i = graph.node.indexOf(old);
  graph.node.splice(i, 1, ...nodes);
}

function splitGather(
  ctx: Ctx,
  n: NodeProto,
  t: TensorProto,
  bytes: Uint8Array,
  maxBytes: number,
): SplitReport {
  const axis = n.attribute.find((a) => a.name === "axis");
  if (axis && Number(attributeValue(axis)) !== 0)
    throw new Error(
      `Gather ${n.name} reads ${t.name} on axis ${String(attributeValue(axis))}; only axis 0 is split`,
    );
  const dims = dimsOf(t);
  const rowBytes = bytes.length / dims[0]!;
  const parts = blocks(dims[0]!, Math.floor(maxBytes / rowBytes));
  const p = ctx.prefix;
  const ids = n.input[1]!;
  const out = n.output[0]!;
  const nodes: NodeProto[] = [];
  const consts: TensorProto[] = [
    int64(`${p}/flat`, [-1]),
    int64(`${p}/zero`, [0], []),
    int64(`${p}/axes0`, [0]),
  ];
  // ids → flat [n]; block b(id) = number of block starts ≤ id (beyond the first).
  nodes.push(node("Reshape", [ids, `${p}/flat`], [`${p}/ids`], `${p}/Reshape_ids`));
  nodes.push(node("Shape", [`${p}/ids`], [`${p}/n`], `${p}/Shape_n`));
  const gathered: string[] = [];
  parts.forEach(([r0, r1], b) => {
    const block = rowSlice(t, bytes, r0, r1, `${t.name}.rows${r0}-${r1}`);
    consts.push(block, int64(`${p}/start${b}`, [r0], []), int64(`${p}/last${b}`, [r1 - r0 - 1], []));
    nodes.push(node("Sub", [`${p}/ids`, `${p}/start${b}`], [`${p}/local${b}`], `${p}/Sub${b}`));
    nodes.push(
      node("Clip", [`${p}/local${b}`, `${p}/zero`, `${p}/last${b}`], [`${p}/clipped${b}`], `${p}/Clip${b}`),
    );
    nodes.push(
      node("Gather", [block.name, `${p}/clipped${b}`], [`${p}/rows${b}`], `${p}/Gather${b}`, [
        makeAttribute("axis", 0),
      ]),
    );
    gathered.push(`${p}/rows${b}`);
  });
  nodes.push(node("Concat", gathered, [`${p}/all`], `${p}/Concat`, [makeAttribute("axis", 0)]));
  // Position of id j's row in the concatenation: b(id)·n + j.
  let block = `${p}/zero`;
  parts.slice(1).forEach((_, b) => {
    nodes.push(
      node("GreaterOrEqual", [`${p}/ids`, `${p}/start${b + 1}`], [`${p}/ge${b}`], `${p}/GreaterOrEqual${b}`),
    );
    nodes.push(
      node("Cast", [`${p}/ge${b}`], [`${p}/gei${b}`], `${p}/Cast${b}`, [makeAttribute("to", DataType.INT64)]),
    );
    nodes.push(node("Add", [block, `${p}/gei${b}`], [`${p}/blk${b}`], `${p}/Add${b}`));
    block = `${p}/blk${b}`;
  });
  consts.push(int64(`${p}/one`, [1], []));
  nodes.push(node("Squeeze", [`${p}/n`, `${p}/axes0`], [`${p}/nscalar`], `${p}/Squeeze_n`));
  nodes.push(node("Range", [`${p}/zero`, `${p}/nscalar`, `${p}/one`], [`${p}/j`], `${p}/Range`));
  nodes.push(node("Mul", [block, `${p}/nscalar`], [`${p}/base`], `${p}/Mul_base`));
  nodes.push(node("Add", [`${p}/base`, `${p}/j`], [`${p}/pos`], `${p}/Add_pos`));
  nodes.push(
    node("Gather", [`${p}/all`, `${p}/pos`], [`${p}/picked`], `${p}/Gather_pick`, [makeAttribute("axis", 0)]),
  );
  // Back to ids.shape + row dims.
  nodes.push(node("Shape", [ids], [`${p}/ids_shape`], `${p}/Shape_ids`));
  consts.push(int64(`${p}/rowdims`, dims.slice(1)));
  nodes.push(
    node("Concat", [`${p}/ids_shape`, `${p}/rowdims`], [`${p}/out_shape`], `${p}/Concat_shape`, [
      makeAttribute("axis", 0),
    ]),
  );
  nodes.push(node("Reshape", [`${p}/picked`, `${p}/out_shape`], [out], `${p}/Reshape_out`));
  consts.forEach(ctx.add);
  replaceNode(ctx.graph, n, nodes);
  return { tensor: t.name, bytes: bytes.length, blocks: parts.length, op: "Gather" };
}

function splitMatMul(
  ctx: Ctx,
  n: NodeProto,
  t: TensorProto,
  bytes: Uint8Array,
  maxBytes: number,
  inits: Map<string, TensorProto>,
  load?: ExternalLoader,
): SplitReport {
  const dims = dimsOf(t);
  if (dims.length !== 2) throw new Error(`${n.opType} ${n.name}: weight ${t.name} is not 2-D`);
  const colBytes = bytes.length / dims[1]!;
  const parts = blocks(dims[1]!, Math.floor(maxBytes / colBytes));
  const p = ctx.prefix;
  const outs: string[] = [];
  const nodes: NodeProto[] = [];
  const perColumn = (name: string | undefined): TensorProto | undefined => {
    const x = name ? inits.get(name) : undefined;
    return x &&
      dimsOf(x).length >= 1 &&
      dimsOf(x)[dimsOf(x).length - 1] === dims[1] &&
      dimsOf(x).reduce((a, b) => a * b, 1) === dims[1]
      ? x
      : undefined;
  };
  parts.forEach(([c0, c1], b) => {
    const w = colSlice(t, bytes, c0, c1, `${t.name}.cols${c0}-${c1}`);
    ctx.add(w);
    const inputs = [...n.input];
    inputs[1] = w.name;
    // DynamicQuantizeMatMul(A, B, b_scale, b_zero_point, bias): per-column vectors are sliced with B.
    for (const k of [2, 3, 4]) {
      const v = perColumn(n.input[k]);
      if (v && n.opType === "DynamicQuantizeMatMul") {
        const s = colSlice(v, tensorBytes(v, load), c0, c1, `${v.name}.cols${c0}-${c1}`);
        ctx.add(s);
        inputs[k] = s.name;
      }
    }
    const o = `${p}/out${b}`;
    nodes.push(create(NodeProtoSchema, { ...n, name: `${p}/${n.opType}${b}`, input: inputs, output: [o] }));
    outs.push(o);
  });
  nodes.push(node("Concat", outs, [n.output[0]!], `${p}/Concat`, [makeAttribute("axis", -1)]));
  replaceNode(ctx.graph, n, nodes);
  return { tensor: t.name, bytes: bytes.length, blocks: parts.length, op: n.opType };
}
