// The band graph under construction: a GraphBuilder that copies per-token parts of the original graph
// (closure.ts), imposes global activation ranges on dynamically quantized ops, and declares statistics.
// How a band graph is laid out and why: band-builder.ts.
import { create } from "@bufbuild/protobuf";
import {
  attributeValue,
  DataType,
  externalRef,
  tensorToArray,
  GraphBuilder,
  NodeProtoSchema,
  type AttrValue,
  type ExternalLoader,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from "../../onnx-graph";
import type { GraphFacts } from "../shapes/evaluate";
import { lookup } from "../shapes/evaluate";
import { staticClosure, type GraphStatics } from "../graph/statics";
import type { StatReduce } from "../manifest";
import { DYNAMIC_RANGE_OPS, frontier, pointwiseClosure } from "./closure";
import type { Segment } from "./segments";

export interface BandContext {
  graph: GraphProto;
  facts: GraphFacts;
  statics: GraphStatics;
  readers: Map<string, NodeProto[]>;
  inits: Map<string, TensorProto>;
  windowSize: number;
  /** Heads (window attention) = groups (channel attention) per DaViT stage. */
  heads: number[];
  /**
   * "global" (default): every dynamically quantized op gets the whole map's [min, max] (statistics passes), so
   * the split equals the model. "local": each band quantizes with its own range (no statistics passes, fewer
   * recomputed passes; the numbers differ from the unsplit model: an explicit option, measured, never default).
   */
  ranges?: "global" | "local";
  /**
   * Quantized ops the model itself quantizes per block of map rows (range-blocks.ts), by block count: a band
   * is exactly one block, so the op runs on the band as it is.
   */
  blocked?: Map<NodeProto, number>;
  /** Reads externally stored weights (splitColumns slices a weight's bytes). */
  load?: ExternalLoader;
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
  /** The post graph for a `block` of tokens per summed product (the planner's one-band case: the whole map). */
  postForBlock?: (block: number) => GraphProto;
}

export interface GroupGraph {
  graph: GraphProto;
  stats: StatSpec[];
  /** Geometry of the group's input and output maps. */
  input: { layout: "tokens" | "nchw"; height: number; width: number; channels: number };
  output: { height: number; width: number; channels: number };
  rowMap: { stride: number; kernel: number; pad: number };
}

export const i64 = (v: number[]) => BigInt64Array.from(v.map(BigInt));

export class Band {
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
      const inputs = n.input.map((i) =>
        !i ? i : this.ctx.statics.values.has(i) ? this.staticValue(i) : need(map, i),
      );
      if (DYNAMIC_RANGE_OPS.has(n.opType) && this.ctx.ranges !== "local" && !this.ctx.blocked?.has(n)) {
        this.rangedOp(n, inputs, map);
        continue;
      }
      const outputs = n.output.map((o) => (o ? this.fresh(o.replace(/^\/+/, "")) : o));
      n.output.forEach((o, k) => o && map.set(o, outputs[k]!));
      this.g.nodes.push(
        create(NodeProtoSchema, { ...n, name: this.fresh(n.opType), input: inputs, output: outputs }),
      );
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
    const row = this.reshape(
      this.op("Slice", [
        this.op("Tile", [stat, this.ints([Math.ceil(k / 2)])]),
        this.ints([0]),
        this.ints([k]),
        this.ints([0]),
      ]),
      [1, k],
    );
    const flat = this.reshape(a, [-1, k]);
    const ext = this.op("Concat", [flat, row], { axis: 0 });
    const outs = n.output.map((o) => (o ? this.fresh(`${o.replace(/^\/+/, "")}_ext`) : o));
    this.g.nodes.push(
      create(NodeProtoSchema, {
        ...n,
        name: this.fresh(n.opType),
        input: [ext, ...inputs.slice(1)],
        output: outs,
      }),
    );
    // Drop the extra row and restore the leading dims: [M + 1, N] → [..., N].
    const y = this.op("Slice", [outs[0]!, this.ints([0]), this.ints([-1]), this.ints([0])]);
    const lead = this.op("Slice", [this.op("Shape", [a]), this.ints([0]), this.ints([-1]), this.ints([0])]);
    const last =
      n.opType === "DynamicQuantizeLinear"
        ? this.ints([k])
        : this.ints([lookup(this.ctx.facts, n.output[0]!)!.dims.at(-1)!]);
    map.set(n.output[0]!, this.op("Reshape", [y, this.op("Concat", [lead, last], { axis: 0 })]));
    n.output.slice(1).forEach((o, i) => o && map.set(o, outs[i + 1]!));
  }

  /**
   * `value`, made in this band graph by a copied DynamicQuantizeMatMul with constant weights, recomputed as one
   * such op per range of its columns (`widths`, in order), so that a pass needing some columns computes only
   * those. Same numbers: the input is quantized the same way (its range does not depend on the weight) and each
   * output column is its own exact int32 sum, scaled by its own scale. undefined (nothing changed) when `value`
   * is not such an op's plain output (an fp32 MatMul, or an op whose range an extra row imposes).
   */
  splitColumns(value: string, widths: number[]): string[] | undefined {
    const at = this.g.nodes.findIndex((x) => x.output[0] === value);
    const n = this.g.nodes[at];
    if (!n || n.opType !== "DynamicQuantizeMatMul" || n.output.length !== 1) return undefined;
    const [a, w, scale, zero, bias] = n.input;
    const tw = w ? this.ctx.inits.get(w) : undefined;
    const ts = scale ? this.ctx.inits.get(scale) : undefined;
    const tb = bias ? this.ctx.inits.get(bias) : undefined;
    if (!a || !tw || !ts || zero || (bias && !tb) || tw.dims.length !== 2) return undefined;
    // Weights stored outside the model need the loader (planning without one keeps the op whole).
    if (!this.ctx.load && [tw, ts, tb].some((t) => t && externalRef(t))) return undefined;
    const [K, N] = tw.dims.map(Number) as [number, number];
    if (widths.reduce((x, y) => x + y, 0) !== N) return undefined;
    const wq = tensorToArray(tw, this.ctx.load) as Int8Array;
    const sc = tensorToArray(ts, this.ctx.load) as Float32Array;
    const bi = tb ? (tensorToArray(tb, this.ctx.load) as Float32Array) : undefined;
    const outs: string[] = [];
    let c0 = 0;
    for (const width of widths) {
      const part = new Int8Array(K * width);
      for (let k = 0; k < K; k++) part.set(wq.subarray(k * N + c0, k * N + c0 + width), k * width);
      const name = (base: string) => `${base}/cols_${c0}_${c0 + width}`;
      const inputs = [
        a,
        this.g.initializer(name(w!), part, [K, width], DataType.INT8),
        this.g.initializer(name(scale!), sc.slice(c0, c0 + width), [width]),
        ...(bi ? ["", this.g.initializer(name(bias!), bi.slice(c0, c0 + width), [width])] : []),
      ];
      const out = this.fresh(`${value}/cols_${c0}_${c0 + width}`);
      outs.push(out);
      this.g.nodes.push(
        create(NodeProtoSchema, { ...n, name: this.fresh(n.opType), input: inputs, output: [out] }),
      );
      c0 += width;
    }
    this.g.nodes.splice(at, 1);
    return outs;
  }

  /**
   * A statistic: the band's partial is an output (`<name>.partial`), the value over all bands an input
   * (`<name>`). A "sum" partial carries one block per row of its leading axis.
   */
  stat(
    reduce: StatSpec["reduce"],
    dims: number[],
    partial: () => string | string[],
    post?: (name: string, block?: number) => GraphProto,
  ): string {
    const name = `${this.id}.s${this.counter++}`;
    this.stats.push({
      name,
      reduce,
      dims,
      post: post?.(name),
      postForBlock: post && ((block) => post(name, block)),
    });
    const parts = partial();
    if (Array.isArray(parts)) {
      parts.forEach((v, i) => {
        this.g.op("Identity", [v], {}, { output: `${name}.partial.${i}`, name: this.fresh("Identity") });
        this.g.output(`${name}.partial.${i}`, DataType.FLOAT, null);
      });
    } else {
      this.g.op("Identity", [parts], {}, { output: `${name}.partial`, name: this.fresh("Identity") });
      this.g.output(
        `${name}.partial`,
        DataType.FLOAT,
        reduce === "sum" ? ["blocks", ...dims.slice(1)] : dims,
      );
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

export function need(map: Map<string, string>, name: string): string {
  const v = map.get(name);
  if (!v) throw new Error(`band graph: ${name} is not available`);
  return v;
}

export function attr<T>(n: NodeProto, name: string, dflt: T): T {
  const a = n.attribute.find((x) => x.name === name);
  return a ? (attributeValue(a) as T) : dflt;
}

/** [H, W, C] of a token stream value, from the NCHW conv output that made its stage. */
export interface MapGeometry {
  height: number;
  width: number;
  channels: number;
}
