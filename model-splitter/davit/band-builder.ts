// Builds the band graph of one group of DaViT segments: the first segment may need rows beyond the band
// (a convolution's halo), the others work on the band's own rows. Input `band_in` holds the rows the first
// segment reads (tokens [1, rows·W, C], or pixels [1, 3, rows, W]), `band_mask` [rows] is 1 for rows inside
// the map and 0 for the zero rows added beyond its edges; output `band_out` holds the band's output rows.
// Per-token parts are copied from the original graph (closure.ts); windows, convolutions and attention are
// rebuilt here for the band's geometry. Two kinds of statistics need all bands before a band can finish:
//   - channel attention's qᵀk (a sum over every token of the map), and
//   - the [min, max] of the input of every dynamically quantized MatMul (its activation scale is per tensor).
// Each becomes a pass that outputs a partial (reduced over bands by the runtime); later passes read the
// reduced value. For the quantized MatMuls the global range is imposed on the band by appending one row
// holding [min, max]: the kernel then derives exactly the scale and zero point the whole tensor gives, and
// the extra output row is dropped.
import { create } from "@bufbuild/protobuf";
import { attributeValue, DataType, GraphBuilder, GraphProtoSchema, makeAttribute, NodeProtoSchema, ValueInfoProtoSchema, type AttrValue, type GraphProto, type NodeProto, type TensorProto } from "../../onnx-graph";
import type { GraphFacts } from "../shapes/evaluate";
import { lookup } from "../shapes/evaluate";
import { staticClosure, type GraphStatics } from "../graph/statics";
import { DYNAMIC_RANGE_OPS, frontier, pointwiseClosure, WEIGHT_OPS } from "./closure";
import type { Segment } from "./segments";
import type { StatReduce } from "../manifest";

export interface BandContext {
  graph: GraphProto;
  facts: GraphFacts;
  statics: GraphStatics;
  readers: Map<string, NodeProto[]>;
  inits: Map<string, TensorProto>;
  windowSize: number;
  /** Heads (window attention) = groups (channel attention) per DaViT stage. */
  heads: number[];
}

export interface StatSpec {
  name: string;
  reduce: StatReduce;
  dims: number[];
  /**
   * A graph run after the band graph on its partial outputs (`<name>.partial.<i>`), giving the partial
   * itself: its operands arrive as inputs, so onnxruntime cannot rearrange how it computes the product.
   */
  post?: GraphProto;
}

export interface GroupGraph {
  graph: GraphProto;
  stats: StatSpec[];
  /** Geometry of the group's input and output maps. */
  input: { layout: "tokens" | "nchw"; height: number; width: number; channels: number };
  output: { height: number; width: number; channels: number };
  rowMap: { stride: number; kernel: number; pad: number };
}

const i64 = (v: number[]) => BigInt64Array.from(v.map(BigInt));


class Band {
  readonly g: GraphBuilder;
  readonly stats: StatSpec[] = [];
  private readonly copied = new Set<string>();
  private counter = 0;

  constructor(
    readonly ctx: BandContext,
    readonly id: string,
  ) {
    this.g = new GraphBuilder(id);
  }

  fresh(base: string): string {
    return this.g.unique(`${this.id}/${base}`);
  }

  ints(v: number[]): string {
    return this.g.constant(i64(v), [v.length]);
  }

  scalarFloat(x: number): string {
    return this.g.constant(Float32Array.of(x), []);
  }

  op(type: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}): string {
    return this.g.op(type, inputs, attrs, { name: this.fresh(type) });
  }

  reshape(x: string, dims: number[]): string {
    return this.op("Reshape", [x, this.ints(dims)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op("Transpose", [x], { perm });
  }

  /** A static value of the original graph (initializer or computed from initializers), under its own name. */
  staticValue(name: string): string {
    if (this.copied.has(name)) return name;
    this.copied.add(name);
    const t = this.ctx.inits.get(name);
    if (t) {
      this.g.addInitializer(t);
      return name;
    }
    for (const n of staticClosure([name], this.ctx.statics, this.ctx.graph)) {
      for (const i of n.input) if (i && this.ctx.inits.has(i)) this.staticValue(i);
      if (n.output.every((o) => this.g.nodes.some((x) => x.output.includes(o)))) continue;
      for (const o of n.output) this.copied.add(o);
      this.g.reserve(...n.output);
      this.g.nodes.push(create(NodeProtoSchema, { ...n, name: this.fresh(n.opType) }));
    }
    return name;
  }

  /** Copies original nodes; `map` takes original dynamic values to band values and receives the copies' outputs. */
  copy(nodes: NodeProto[], map: Map<string, string>): void {
    for (const n of nodes) {
      const inputs = n.input.map((i) => (!i ? i : this.ctx.statics.values.has(i) ? this.staticValue(i) : need(map, i)));
      if (DYNAMIC_RANGE_OPS.has(n.opType)) {
        this.rangedOp(n, inputs, map);
        continue;
      }
      const outputs = n.output.map((o) => (o ? this.fresh(o.replace(/^\/+/, "")) : o));
      n.output.forEach((o, k) => o && map.set(o, outputs[k]!));
      this.g.nodes.push(create(NodeProtoSchema, { ...n, name: this.fresh(n.opType), input: inputs, output: outputs }));
    }
  }

  /** A dynamically quantized op on a band: the global [min, max] of its input is imposed by an extra row. */
  private rangedOp(n: NodeProto, inputs: string[], map: Map<string, string>): void {
    const a = inputs[0]!;
    const k = lookup(this.ctx.facts, n.input[0]!)!.dims.at(-1)!;
    const stat = this.stat("minmax", [2], () => {
      const lo = this.op("ReduceMin", [a], { keepdims: 0 });
      const hi = this.op("ReduceMax", [a], { keepdims: 0 });
      return this.op("Concat", [this.reshape(lo, [1]), this.reshape(hi, [1])], { axis: 0 });
    });
    const row = this.reshape(this.op("Slice", [this.op("Tile", [stat, this.ints([Math.ceil(k / 2)])]), this.ints([0]), this.ints([k]), this.ints([0])]), [1, k]);
    const flat = this.reshape(a, [-1, k]);
    const ext = this.op("Concat", [flat, row], { axis: 0 });
    const outs = n.output.map((o) => (o ? this.fresh(`${o.replace(/^\/+/, "")}_ext`) : o));
    this.g.nodes.push(create(NodeProtoSchema, { ...n, name: this.fresh(n.opType), input: [ext, ...inputs.slice(1)], output: outs }));
    // Drop the extra row and restore the leading dims: [M + 1, N] → [..., N].
    const y = this.op("Slice", [outs[0]!, this.ints([0]), this.ints([-1]), this.ints([0])]);
    const lead = this.op("Slice", [this.op("Shape", [a]), this.ints([0]), this.ints([-1]), this.ints([0])]);
    const last = n.opType === "DynamicQuantizeLinear" ? this.ints([k]) : this.ints([lookup(this.ctx.facts, n.output[0]!)!.dims.at(-1)!]);
    map.set(n.output[0]!, this.op("Reshape", [y, this.op("Concat", [lead, last], { axis: 0 })]));
    n.output.slice(1).forEach((o, i) => o && map.set(o, outs[i + 1]!));
  }

  /**
   * A statistic: the band's partial is an output (`<name>.partial`), the value over all bands an input
   * (`<name>`). A "sum" partial carries one block per row of its leading axis.
   */
  stat(reduce: StatSpec["reduce"], dims: number[], partial: () => string | string[], post?: (name: string) => GraphProto): string {
    const name = `${this.id}.s${this.counter++}`;
    this.stats.push({ name, reduce, dims, post: post?.(name) });
    const parts = partial();
    if (Array.isArray(parts)) {
      parts.forEach((v, i) => {
        this.g.op("Identity", [v], {}, { output: `${name}.partial.${i}`, name: this.fresh("Identity") });
        this.g.output(`${name}.partial.${i}`, DataType.FLOAT, null);
      });
    } else {
      this.g.op("Identity", [parts], {}, { output: `${name}.partial`, name: this.fresh("Identity") });
      this.g.output(`${name}.partial`, DataType.FLOAT, reduce === "sum" ? ["blocks", ...dims.slice(1)] : dims);
    }
    this.g.input(name, DataType.FLOAT, dims);
    return name;
  }

  /** Copies the pointwise closure of `source` (mapped to `value`) and returns the band value of `want`. */
  closure(seg: Segment, source: string, value: string, want: (frontierValues: string[]) => string): string {
    const nodes = pointwiseClosure(source, seg.nodes, this.ctx.statics, this.ctx.facts);
    const map = new Map([[source, value]]);
    this.copy(nodes, map);
    const target = want(frontier(nodes, this.ctx.graph, this.ctx.readers));
    return need(map, target);
  }
}

function need(map: Map<string, string>, name: string): string {
  const v = map.get(name);
  if (!v) throw new Error(`band graph: ${name} is not available`);
  return v;
}

function attr<T>(n: NodeProto, name: string, dflt: T): T {
  const a = n.attribute.find((x) => x.name === name);
  return a ? (attributeValue(a) as T) : dflt;
}

/** A frontier value whose last dim is `channels`. */
function withChannels(ctx: BandContext, values: string[], channels: number): string {
  const v = values.find((x) => lookup(ctx.facts, x)?.dims.at(-1) === channels && (lookup(ctx.facts, x)?.dims.length ?? 0) >= 2);
  if (!v) throw new Error(`no per-token value with ${channels} channels among ${values.join(", ")}`);
  return v;
}

function weightOps(ctx: BandContext, seg: Segment): NodeProto[] {
  return seg.nodes.filter((n) => WEIGHT_OPS.has(n.opType) && n.input[1] && ctx.statics.values.has(n.input[1]));
}

/** [H, W, C] of a token stream value, from the NCHW conv output that made its stage. */
export interface MapGeometry {
  height: number;
  width: number;
  channels: number;
}

function convOf(seg: Segment): NodeProto {
  const conv = seg.nodes.find((n) => n.opType === "Conv");
  if (!conv) throw new Error(`${seg.kind} segment has no Conv`);
  return conv;
}

/** A Conv copied with its vertical padding removed (the band carries explicit halo rows instead). */
function copyConv(b: Band, conv: NodeProto, input: string): string {
  const pads = attr<number[]>(conv, "pads", [0, 0, 0, 0]);
  const attrs = conv.attribute.filter((a) => a.name !== "pads");
  const out = b.fresh("conv");
  b.g.nodes.push(
    create(NodeProtoSchema, {
      ...conv,
      name: b.fresh("Conv"),
      input: [input, ...conv.input.slice(1).map((i) => (i ? b.staticValue(i) : i))],
      output: [out],
      attribute: [...attrs, makeAttribute("pads", [0, pads[1]!, 0, pads[3]!])],
    }),
  );
  return out;
}

/** NCHW band × row mask: rows beyond the map become zeros, as the conv's zero padding would be. */
function masked(b: Band, nchw: string): string {
  return b.op("Mul", [nchw, b.reshape("band_mask", [1, 1, -1, 1])]);
}

function tokens(b: Band, nchw: string, channels: number): string {
  return b.reshape(b.transpose(nchw, [0, 2, 3, 1]), [1, -1, channels]);
}

export function buildGroup(ctx: BandContext, id: string, segs: Segment[], geo: { in: MapGeometry; out: MapGeometry }): GroupGraph {
  const b = new Band(ctx, id);
  const first = segs[0]!;
  const layout = first.kind === "convEmbed" && first.input === "pixel_values" ? "nchw" : "tokens";
  b.g.input("band_in", DataType.FLOAT, layout === "nchw" ? [1, geo.in.channels, "rows", geo.in.width] : [1, "tokens", geo.in.channels]);
  b.g.input("band_mask", DataType.FLOAT, ["rows"]);
  let x: string;
  let rowMap = { stride: 1, kernel: 1, pad: 0 };
  const rest = [...segs];
  if (first.kind === "convEmbed") {
    rest.shift();
    const conv = convOf(first);
    const k = attr<number[]>(conv, "kernel_shape", [1, 1])[0]!;
    const s = attr<number[]>(conv, "strides", [1, 1])[0]!;
    rowMap = { stride: s, kernel: k, pad: attr<number[]>(conv, "pads", [0, 0, 0, 0])[0]! };
    let nchw: string;
    if (layout === "nchw") nchw = "band_in";
    else {
      const ln = b.closure(first, first.input, "band_in", (f) => withChannels(ctx, f, geo.in.channels));
      nchw = b.transpose(b.reshape(ln, [1, -1, geo.in.width, geo.in.channels]), [0, 3, 1, 2]);
    }
    const t = tokens(b, copyConv(b, conv, masked(b, nchw)), geo.out.channels);
    // A LayerNorm after the conv (stage 0) starts at the tokens the original made from the conv output.
    const t0 = convTokens(ctx, conv);
    x = t0 === first.output ? t : b.closure(first, t0, t, () => first.output);
  } else if (first.kind === "dwConv") {
    rest.shift();
    rowMap = { stride: 1, kernel: 3, pad: 1 };
    const nchw = b.transpose(b.reshape("band_in", [1, -1, geo.in.width, geo.in.channels]), [0, 3, 1, 2]);
    const t = tokens(b, copyConv(b, convOf(first), masked(b, nchw)), geo.out.channels);
    const center = b.op("Slice", ["band_in", b.ints([geo.in.width]), b.ints([-geo.in.width]), b.ints([1])]);
    x = b.op("Add", [center, t]);
  } else x = "band_in";

  for (const seg of rest) {
    if (seg.kind === "dwConv" || seg.kind === "convEmbed") throw new Error(`a ${seg.kind} segment can only start a band group`);
    const { width: W, channels: C } = geo.out;
    const heads = ctx.heads[seg.stage]!;
    const d = C / heads;
    if (seg.kind === "mlp") {
      x = b.op("Add", [x, b.closure(seg, seg.input, x, () => seg.residual!.branch)]);
    } else if (seg.kind === "windowAttention") {
      const ws = ctx.windowSize;
      const ln = b.closure(seg, seg.input, x, (f) => withChannels(ctx, f, C));
      const windows = b.reshape(b.transpose(b.reshape(ln, [1, -1, ws, W / ws, ws, C]), [0, 1, 3, 2, 4, 5]), [-1, ws * ws, C]);
      const [qkvOp, projOp] = [weightOps(ctx, seg)[0]!, weightOps(ctx, seg).at(-1)!];
      const qkv = b.closure(seg, qkvOp.input[0]!, windows, (f) => withChannels(ctx, f, 3 * C));
      const heads5 = b.transpose(b.reshape(qkv, [-1, ws * ws, 3, heads, d]), [2, 0, 3, 1, 4]);
      const [q, k, v] = [0, 1, 2].map((i) => b.op("Gather", [heads5, b.g.constant(i64([i]), [])], { axis: 0 }));
      const qs = b.op("Mul", [q!, b.scalarFloat(windowScale(ctx, seg))]);
      const attn = b.op("Softmax", [b.op("MatMul", [qs, b.transpose(k!, [0, 1, 3, 2])])], { axis: -1 });
      const y = b.reshape(b.transpose(b.op("MatMul", [attn, v!]), [0, 2, 1, 3]), [-1, ws * ws, C]);
      const proj = b.closure(seg, projOp.input[0]!, y, (f) => withChannels(ctx, f, C));
      const back = b.reshape(b.transpose(b.reshape(proj, [1, -1, W / ws, ws, ws, C]), [0, 1, 3, 2, 4, 5]), [1, -1, C]);
      x = b.op("Add", [x, back]);
    } else {
      const qkv = b.closure(seg, seg.input, x, (f) => withChannels(ctx, f, 3 * C));
      const qkv5 = b.reshape(qkv, [1, -1, 3, heads, d]);
      const groups = b.transpose(qkv5, [2, 0, 3, 1, 4]);
      const v = b.op("Gather", [groups, b.g.constant(i64([2]), [])], { axis: 0 });
      // (q·N^-1/2)ᵀk over every token of the map (N = tokens of the whole map). onnxruntime-web's SGEMM adds
      // the products of successive K blocks one after another (gemmKBlock; measured, model-splitter/README.md).
      // The band hands its q, k, v to a small graph written like the original (so onnxruntime computes it the
      // same way) that returns one d×d product per block; the runtime adds them in token order in float32,
      // which reproduces the whole-map MatMul bit for bit.
      const n = geo.out.height * geo.out.width;
      const s = b.stat("sum", [1, heads, d, d], () => [qkv5], (name) => blockProducts(name, heads, d, n));
      const a = b.op("Softmax", [s], { axis: -1 });
      const av = b.op("MatMul", [a, b.transpose(v, [0, 1, 3, 2])]);
      const y = b.reshape(b.transpose(b.transpose(av, [0, 1, 3, 2]), [0, 2, 1, 3]), [1, -1, C]);
      const projOp = weightOps(ctx, seg).at(-1)!;
      const proj = b.closure(seg, projOp.input[0]!, y, (f) => withChannels(ctx, f, C));
      x = b.op("Add", [x, proj]);
    }
  }
  b.g.op("Identity", [x], {}, { output: "band_out", name: b.fresh("Identity") });
  b.g.output("band_out", DataType.FLOAT, [1, "tokens", geo.out.channels]);
  return { graph: b.g.build(), stats: b.stats, input: { layout, ...inDims(geo.in) }, output: geo.out, rowMap };
}

function inDims(g: MapGeometry) {
  return { height: g.height, width: g.width, channels: g.channels };
}

/** The token sequence the original makes from a conv's output: Conv → Transpose → Reshape [B, H·W, C]. */
function convTokens(ctx: BandContext, conv: NodeProto): string {
  const only = (v: string, op: string) => {
    const rs = (ctx.readers.get(v) ?? []).filter((r) => r.opType === op);
    if (rs.length !== 1) throw new Error(`expected one ${op} after ${v}`);
    return rs[0]!.output[0]!;
  };
  return only(only(conv.output[0]!, "Transpose"), "Reshape");
}

/** The window attention's query scale: the constant scalar a Mul applies before the first attention MatMul. */
function windowScale(ctx: BandContext, seg: Segment): number {
  const softmax = seg.nodes.findIndex((n) => n.opType === "Softmax");
  for (const n of seg.nodes.slice(0, softmax)) {
    if (n.opType !== "Mul") continue;
    const c = n.input.find((i) => i && ctx.statics.values.has(i) && lookup(ctx.facts, i)?.dims.length === 0);
    const v = c ? lookup(ctx.facts, c)?.value?.[0] : undefined;
    if (v !== undefined) return v;
  }
  throw new Error(`window attention in stage ${seg.stage}: no query scale found`);
}

/**
 * The K block of onnxruntime-web's SGEMM for a product with `d` output columns: MLAS starts from 128×128
 * (StrideN × StrideK) and doubles StrideK while halving StrideN down to the output width (minimum 16).
 * Checked against onnxruntime-web 1.30 for d = 16 (1024) and d = 32 (512).
 */
export function gemmKBlock(d: number): number {
  let n = 128;
  let k = 128;
  while (n > 16 && n / 2 >= d) {
    k *= 2;
    n /= 2;
  }
  return k;
}

/**
 * qkv [1, n, 3, G, d] → (q·N^-1/2)ᵀk per block of tokens, [n / block, G, d, d], written as the original. The
 * block is the GEMM's K block, or the whole map when it is one band (then the product is the original's).
 */
export function blockProducts(name: string, heads: number, d: number, n: number, block = gemmKBlock(d)): GraphProto {
  const g = new GraphBuilder(`${name}.blocks`);
  const ints = (v: number[]) => g.constant(i64(v), [v.length]);
  const qkv = g.input(`${name}.partial.0`, DataType.FLOAT, [1, "n", 3, heads, d]);
  const groups = g.op("Transpose", [g.op("Reshape", [qkv, ints([-1, block, 3, heads, d])])], { perm: [2, 0, 3, 1, 4] });
  const [q, k] = [0, 1].map((i) => g.op("Gather", [groups, g.constant(i64([i]), [])], { axis: 0 }));
  const scale = g.op("Pow", [g.op("Cast", [ints([n])], { to: DataType.FLOAT }), g.constant(Float32Array.of(-0.5), [])]);
  g.op("MatMul", [g.op("Transpose", [g.op("Mul", [q!, scale])], { perm: [0, 1, 3, 2] }), k!], {}, { output: name });
  g.output(name, DataType.FLOAT, ["blocks", heads, d, d]);
  return g.build();
}

/** The pass graph for one output: pruned to what it needs. */
export function passGraph(group: GroupGraph, output: string): GraphProto {
  const g = cloneGraph(group.graph);
  const statName = output === "band_out" ? undefined : output;
  const post = group.stats.find((s) => s.name === statName)?.post;
  g.output = g.output.filter((o) => (statName ? o.name === `${statName}.partial` || (post !== undefined && o.name.startsWith(`${statName}.partial.`)) : o.name === "band_out"));
  if (statName && !post) {
    g.output[0]!.name = statName;
    for (const n of g.node) n.output = n.output.map((o) => (o === `${statName}.partial` ? statName : o));
  }
  const needed = new Set(g.output.map((o) => o.name));
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i]!;
    if (n.output.some((o) => needed.has(o))) for (const x of n.input) if (x) needed.add(x);
  }
  g.node = g.node.filter((n) => n.output.some((o) => needed.has(o)));
  const reads = new Set(g.node.flatMap((n) => n.input));
  g.input = g.input.filter((i) => reads.has(i.name));
  g.initializer = g.initializer.filter((t) => reads.has(t.name));
  return g;
}

/** A copy of the graph whose node outputs and graph outputs can be renamed without touching the original. */
function cloneGraph(g: GraphProto): GraphProto {
  return create(GraphProtoSchema, {
    ...g,
    node: g.node.map((n) => create(NodeProtoSchema, { ...n, output: [...n.output] })),
    output: g.output.map((o) => create(ValueInfoProtoSchema, { ...o })),
    input: [...g.input],
    initializer: [...g.initializer],
  });
}
