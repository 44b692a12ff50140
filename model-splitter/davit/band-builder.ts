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
import { DataType, makeAttribute, NodeProtoSchema, type NodeProto } from "../../onnx-graph";
import { lookup } from "../shapes/evaluate";
import { attr, Band, i64, type BandContext, type GroupGraph, type MapGeometry } from "./band-graph";
import { blockProducts } from "./block-products";
import { WEIGHT_OPS } from "./closure";
import type { Segment } from "./segments";

export { bandUnitRows, gemmKBlock, blockProducts } from "./block-products";
export { passGraph } from "./pass-graph";
export type { BandContext, GroupGraph, MapGeometry, StatSpec } from "./band-graph";

/** A frontier value whose last dim is `channels`. */
function withChannels(ctx: BandContext, values: string[], channels: number): string {
  const v = values.find(
    (x) => lookup(ctx.facts, x)?.dims.at(-1) === channels && (lookup(ctx.facts, x)?.dims.length ?? 0) >= 2,
  );
  if (!v) throw new Error(`no per-token value with ${channels} channels among ${values.join(", ")}`);
  return v;
}

function weightOps(ctx: BandContext, seg: Segment): NodeProto[] {
  return seg.nodes.filter(
    (n) => WEIGHT_OPS.has(n.opType) && n.input[1] && ctx.statics.values.has(n.input[1]),
  );
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

export function buildGroup(
  ctx: BandContext,
  id: string,
  segs: Segment[],
  geo: { in: MapGeometry; out: MapGeometry },
): GroupGraph {
  const b = new Band(ctx, id);
  const first = segs[0]!;
  const layout = first.kind === "convEmbed" && first.input === "pixel_values" ? "nchw" : "tokens";
  b.g.input(
    "band_in",
    DataType.FLOAT,
    layout === "nchw" ? [1, geo.in.channels, "rows", geo.in.width] : [1, "tokens", geo.in.channels],
  );
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
    if (seg.kind === "dwConv" || seg.kind === "convEmbed")
      throw new Error(`a ${seg.kind} segment can only start a band group`);
    const { width: W, channels: C } = geo.out;
    const heads = ctx.heads[seg.stage]!;
    const d = C / heads;
    if (seg.kind === "mlp") {
      x = b.op("Add", [x, b.closure(seg, seg.input, x, () => seg.residual!.branch)]);
    } else if (seg.kind === "windowAttention") {
      const ws = ctx.windowSize;
      const ln = b.closure(seg, seg.input, x, (f) => withChannels(ctx, f, C));
      const windows = b.reshape(b.transpose(b.reshape(ln, [1, -1, ws, W / ws, ws, C]), [0, 1, 3, 2, 4, 5]), [
        -1,
        ws * ws,
        C,
      ]);
      const [qkvOp, projOp] = [weightOps(ctx, seg)[0]!, weightOps(ctx, seg).at(-1)!];
      const qkv = b.closure(seg, qkvOp.input[0]!, windows, (f) => withChannels(ctx, f, 3 * C));
      const heads5 = b.transpose(b.reshape(qkv, [-1, ws * ws, 3, heads, d]), [2, 0, 3, 1, 4]);
      const [q, k, v] = [0, 1, 2].map((i) =>
        b.op("Gather", [heads5, b.g.constant(i64([i]), [])], { axis: 0 }),
      );
      const qs = b.op("Mul", [q!, b.scalarFloat(windowScale(ctx, seg))]);
      const attn = b.op("Softmax", [b.op("MatMul", [qs, b.transpose(k!, [0, 1, 3, 2])])], { axis: -1 });
      const y = b.reshape(b.transpose(b.op("MatMul", [attn, v!]), [0, 2, 1, 3]), [-1, ws * ws, C]);
      const proj = b.closure(seg, projOp.input[0]!, y, (f) => withChannels(ctx, f, C));
      const back = b.reshape(b.transpose(b.reshape(proj, [1, -1, W / ws, ws, ws, C]), [0, 1, 3, 2, 4, 5]), [
        1,
        -1,
        C,
      ]);
      x = b.op("Add", [x, back]);
    } else {
      const qkv = b.closure(seg, seg.input, x, (f) => withChannels(ctx, f, 3 * C));
      // The qᵀk pass needs q and k, the band pass v: an int8 qkv Linear is split into its q,k and its v
      // columns, so neither pass computes the other's (same numbers, Band.splitColumns).
      const cols = b.splitColumns(qkv, [2 * C, C]);
      const qk5 = b.reshape(cols ? cols[0]! : qkv, [1, -1, cols ? 2 : 3, heads, d]);
      const groups = b.transpose(cols ? b.reshape(cols[1]!, [1, -1, 1, heads, d]) : qk5, [2, 0, 3, 1, 4]);
      const v = b.op("Gather", [groups, b.g.constant(i64([cols ? 0 : 2]), [])], { axis: 0 });
      // (q·N^-1/2)ᵀk over every token of the map (N = tokens of the whole map). onnxruntime-web's SGEMM adds
      // the products of successive K blocks one after another (gemmKBlock; measured, model-splitter/README.md).
      // The band hands its q, k, v to a small graph written like the original (so onnxruntime computes it the
      // same way) that returns one d×d product per block; the runtime adds them in token order in float32,
      // which reproduces the whole-map MatMul bit for bit.
      const n = geo.out.height * geo.out.width;
      const s = b.stat(
        "sum",
        [1, heads, d, d],
        () => [qk5],
        (name, block) => blockProducts(name, heads, d, n, block, cols ? 2 : 3),
      );
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
  return {
    graph: b.g.build(),
    stats: b.stats,
    input: { layout, ...inDims(geo.in) },
    output: geo.out,
    rowMap,
  };
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
