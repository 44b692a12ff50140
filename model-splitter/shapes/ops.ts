// Shape (and small-value) inference per operator, for the operators the Florence-2 exports, their int8
// forms and the splitter's own rewrites use. Anything else is an explicit error: a planner that guessed a
// shape would cut in the wrong place without noticing.
import { attributeValue, DataType, numel, type NodeProto, type TensorProto } from "../../onnx-graph";
import { broadcast, broadcastIndex, normAxis, tensorFacts, withValue, type Facts } from "./facts";

export type Inputs = (Facts | undefined)[];

function attr<T>(n: NodeProto, name: string, dflt: T): T {
  const a = n.attribute.find((x) => x.name === name);
  return a ? (attributeValue(a) as T) : dflt;
}

function need(f: Facts | undefined, n: NodeProto, i: number): Facts {
  if (!f) throw new Error(`${n.opType} ${n.name}: input ${i} unknown`);
  return f;
}

function needValue(f: Facts | undefined, n: NodeProto, i: number): number[] {
  const v = need(f, n, i).value;
  if (!v) throw new Error(`${n.opType} ${n.name}: input ${i} (${n.input[i]}) must be known at plan time`);
  return v;
}

const INT_TYPES = new Set([
  DataType.INT64,
  DataType.INT32,
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.BOOL,
]);

function binaryValue(op: string, a: number, b: number, type: DataType, fmod: number): number {
  const int = INT_TYPES.has(type);
  switch (op) {
    case "Add":
      return a + b;
    case "Sub":
      return a - b;
    case "Mul":
      return a * b;
    case "Div":
      return int ? Math.trunc(a / b) : a / b;
    case "Mod":
      return fmod ? a % b : a - b * Math.floor(a / b);
    case "Pow":
      return a ** b;
    case "Max":
      return Math.max(a, b);
    case "Min":
      return Math.min(a, b);
    case "Equal":
      return a === b ? 1 : 0;
    case "Less":
      return a < b ? 1 : 0;
    case "Greater":
      return a > b ? 1 : 0;
    case "LessOrEqual":
      return a <= b ? 1 : 0;
    case "GreaterOrEqual":
      return a >= b ? 1 : 0;
    case "And":
      return a && b ? 1 : 0;
    case "Or":
      return a || b ? 1 : 0;
    default:
      throw new Error(`no value rule for ${op}`);
  }
}

const COMPARE = new Set(["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]);
const BINARY = new Set(["Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min", ...COMPARE]);
const UNARY = new Set([
  "Sqrt",
  "Erf",
  "Neg",
  "Abs",
  "Relu",
  "Exp",
  "Log",
  "Sigmoid",
  "Tanh",
  "Identity",
  "Not",
  "Floor",
  "Ceil",
  "Round",
  "Reciprocal",
  "Softmax",
  "Gelu",
  "FastGelu",
  "LogSoftmax",
  "Sign",
]);

function elementwise(n: NodeProto, ins: Inputs): Facts {
  const op = n.opType;
  const a = need(ins[0], n, 0);
  const b = need(ins[1], n, 1);
  const dims = broadcast(a.dims, b.dims);
  const type = COMPARE.has(op) ? DataType.BOOL : a.type;
  let value: number[] | undefined;
  if (a.value && b.value && numel(dims) <= 64) {
    const fmod = attr(n, "fmod", 0);
    value = Array.from({ length: numel(dims) }, (_, i) =>
      binaryValue(
        op,
        a.value![broadcastIndex(i, dims, a.dims)]!,
        b.value![broadcastIndex(i, dims, b.dims)]!,
        a.type,
        fmod,
      ),
    );
  }
  return withValue(type, dims, value);
}

function unary(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  let value: number[] | undefined;
  if (a.value) {
    const f: Record<string, (x: number) => number> = {
      Neg: (x) => -x,
      Identity: (x) => x,
      Abs: Math.abs,
      Sqrt: Math.sqrt,
      Floor: Math.floor,
      Ceil: Math.ceil,
      Not: (x) => (x ? 0 : 1),
      Reciprocal: (x) => 1 / x,
      Exp: Math.exp,
      Log: Math.log,
    };
    const fn = f[n.opType];
    if (fn) value = a.value.map(fn);
  }
  const type = n.opType === "Not" ? DataType.BOOL : a.type;
  return withValue(type, a.dims, value);
}

function cast(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const to = attr<number>(n, "to", DataType.FLOAT) as DataType;
  let value = a.value;
  if (value && INT_TYPES.has(to))
    value = value.map((x) => (to === DataType.BOOL ? (x ? 1 : 0) : Math.trunc(x)));
  return withValue(to, a.dims, value);
}

function reduceAxes(n: NodeProto, ins: Inputs, rank: number): number[] {
  const fromInput = ins[1]?.value;
  const axes = fromInput ?? attr<number[] | undefined>(n, "axes", undefined);
  if (!axes || axes.length === 0)
    return attr(n, "noop_with_empty_axes", 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  return axes.map((x) => normAxis(x, rank));
}

function reduce(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const axes = reduceAxes(n, ins, a.dims.length);
  const keep = attr(n, "keepdims", 1);
  const dims = a.dims.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
  return { type: a.type, dims };
}

function matmulDims(a: number[], b: number[]): number[] {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2])
    throw new Error(`MatMul [${a.join(",")}]·[${b.join(",")}]: inner dims differ`);
  const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function gather(n: NodeProto, ins: Inputs): Facts {
  const data = need(ins[0], n, 0);
  const idx = need(ins[1], n, 1);
  const axis = normAxis(attr(n, "axis", 0), data.dims.length);
  const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
  let value: number[] | undefined;
  if (data.value && idx.value && numel(dims) <= 64) {
    const inner = numel(data.dims.slice(axis + 1));
    const outer = numel(data.dims.slice(0, axis));
    const size = data.dims[axis]!;
    value = [];
    for (let o = 0; o < outer; o++) {
      for (const raw of idx.value) {
        const k = raw < 0 ? raw + size : raw;
        for (let i = 0; i < inner; i++) value.push(data.value[(o * size + k) * inner + i]!);
      }
    }
  }
  return withValue(data.type, dims, value);
}

function unsqueezeAxes(n: NodeProto, ins: Inputs): number[] {
  return ins[1]?.value ?? attr<number[]>(n, "axes", []);
}

function unsqueeze(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const rank = a.dims.length + unsqueezeAxes(n, ins).length;
  const axes = unsqueezeAxes(n, ins).map((x) => normAxis(x, rank));
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : a.dims[j++]!);
  return withValue(a.type, dims, a.value);
}

function squeeze(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const given = unsqueezeAxes(n, ins);
  const axes = given.length
    ? given.map((x) => normAxis(x, a.dims.length))
    : a.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  return withValue(
    a.type,
    a.dims.filter((_, i) => !axes.includes(i)),
    a.value,
  );
}

function concat(n: NodeProto, ins: Inputs): Facts {
  const parts = ins.map((f, i) => need(f, n, i));
  const first = parts[0]!;
  const axis = normAxis(attr(n, "axis", 0), first.dims.length);
  const dims = [...first.dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  let value: number[] | undefined;
  if (axis === 0 && first.dims.length === 1 && parts.every((p) => p.value))
    value = parts.flatMap((p) => p.value!);
  return withValue(first.type, dims, value);
}

function reshape(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const target = needValue(ins[1], n, 1);
  const allowZero = attr(n, "allowzero", 0);
  const dims = target.map((d, i) => (d === 0 && !allowZero ? a.dims[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
  const total = numel(a.dims);
  const out = dims.map((d) => (d === -1 ? total / known : d));
  if (numel(out) !== total || out.some((d) => !Number.isInteger(d)))
    throw new Error(`Reshape ${n.name}: [${a.dims.join(",")}] → [${target.join(",")}]`);
  return withValue(a.type, out, a.value);
}

function transpose(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const perm = attr<number[]>(
    n,
    "perm",
    a.dims.map((_, i) => a.dims.length - 1 - i),
  );
  return { type: a.type, dims: perm.map((p) => a.dims[p]!) };
}

function slice(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const starts = needValue(ins[1], n, 1);
  const ends = needValue(ins[2], n, 2);
  const axes = ins[3]?.value ?? starts.map((_, i) => i);
  const steps = ins[4]?.value ?? starts.map(() => 1);
  const dims = [...a.dims];
  const ranges = a.dims.map((d) => ({ start: 0, step: 1, count: d }));
  axes.forEach((ax, i) => {
    const axis = normAxis(ax, a.dims.length);
    const d = a.dims[axis]!;
    const step = steps[i]!;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
    } else {
      s = clamp(s, 0, d - 1);
      e = clamp(e, -1, d - 1);
    }
    const count = Math.max(0, Math.ceil((e - s) / step));
    dims[axis] = count;
    ranges[axis] = { start: s, step, count };
  });
  let value: number[] | undefined;
  if (a.value && a.dims.length === 1)
    value = Array.from({ length: dims[0]! }, (_, i) => a.value![ranges[0]!.start + i * ranges[0]!.step]!);
  return withValue(a.type, dims, value);
}

function conv(n: NodeProto, ins: Inputs): Facts {
  const x = need(ins[0], n, 0);
  const w = need(ins[1], n, 1);
  const spatial = x.dims.length - 2;
  const kernel = attr<number[]>(n, "kernel_shape", w.dims.slice(2));
  const strides_ = attr<number[]>(n, "strides", new Array(spatial).fill(1));
  const dil = attr<number[]>(n, "dilations", new Array(spatial).fill(1));
  const pads = attr<number[]>(n, "pads", new Array(2 * spatial).fill(0));
  if (attr(n, "auto_pad", "NOTSET") !== "NOTSET")
    throw new Error(`Conv ${n.name}: auto_pad is not supported`);
  const out = [x.dims[0]!, w.dims[0]!];
  for (let i = 0; i < spatial; i++) {
    const eff = (kernel[i]! - 1) * dil[i]! + 1;
    out.push(Math.floor((x.dims[2 + i]! + pads[i]! + pads[i + spatial]! - eff) / strides_[i]!) + 1);
  }
  return { type: x.type, dims: out };
}

function pad(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const pads = ins[1] ? needValue(ins[1], n, 1) : attr<number[]>(n, "pads", []);
  const r = a.dims.length;
  return { type: a.type, dims: a.dims.map((d, i) => d + pads[i]! + pads[i + r]!) };
}

function range(n: NodeProto, ins: Inputs): Facts {
  const [s, l, d] = [0, 1, 2].map((i) => needValue(ins[i], n, i)[0]!);
  const count = Math.max(0, Math.ceil((l! - s!) / d!));
  const value = count <= 64 ? Array.from({ length: count }, (_, i) => s! + i * d!) : undefined;
  return withValue(need(ins[0], n, 0).type, [count], value);
}

function tile(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const reps = needValue(ins[1], n, 1);
  return { type: a.type, dims: a.dims.map((d, i) => d * reps[i]!) };
}

function expand(n: NodeProto, ins: Inputs): Facts {
  const a = need(ins[0], n, 0);
  const shape = needValue(ins[1], n, 1);
  return { type: a.type, dims: broadcast(a.dims, shape) };
}

function where(n: NodeProto, ins: Inputs): Facts {
  const [c, x, y] = [0, 1, 2].map((i) => need(ins[i], n, i));
  const dims = broadcast(broadcast(c!.dims, x!.dims), y!.dims);
  let value: number[] | undefined;
  if (c!.value && x!.value && y!.value && numel(dims) <= 64) {
    value = Array.from({ length: numel(dims) }, (_, i) =>
      c!.value![broadcastIndex(i, dims, c!.dims)]
        ? x!.value![broadcastIndex(i, dims, x!.dims)]!
        : y!.value![broadcastIndex(i, dims, y!.dims)]!,
    );
  }
  return withValue(x!.type, dims, value);
}

function split(n: NodeProto, ins: Inputs): Facts[] {
  const a = need(ins[0], n, 0);
  const axis = normAxis(attr(n, "axis", 0), a.dims.length);
  const parts =
    ins[1]?.value ??
    attr<number[] | undefined>(n, "split", undefined) ??
    new Array(n.output.length).fill(a.dims[axis]! / n.output.length);
  return parts.map((p) => {
    const dims = [...a.dims];
    dims[axis] = p;
    return { type: a.type, dims };
  });
}

function topK(n: NodeProto, ins: Inputs): Facts[] {
  const a = need(ins[0], n, 0);
  const k = needValue(ins[1], n, 1)[0]!;
  const axis = normAxis(attr(n, "axis", -1), a.dims.length);
  const dims = [...a.dims];
  dims[axis] = k;
  return [
    { type: a.type, dims },
    { type: DataType.INT64, dims: [...dims] },
  ];
}

function constantOfShape(n: NodeProto, ins: Inputs): Facts {
  const dims = needValue(ins[0], n, 0);
  const v = attr<TensorProto | undefined>(n, "value", undefined);
  const type = v ? v.dataType : DataType.FLOAT;
  const fill = v ? (tensorFacts(v).value?.[0] ?? 0) : 0;
  return withValue(type, dims, numel(dims) <= 64 ? new Array(numel(dims)).fill(fill) : undefined);
}

/** Output facts of one node (If is handled by the evaluator, which owns subgraph scopes). */
export function inferNode(n: NodeProto, ins: Inputs): Facts[] {
  const op = n.opType;
  if (BINARY.has(op)) return [elementwise(n, ins)];
  if (UNARY.has(op)) return [unary(n, ins)];
  switch (op) {
    case "Constant": {
      const t = attr<TensorProto | undefined>(n, "value", undefined);
      if (!t) throw new Error(`Constant ${n.name}: only 'value' constants are supported`);
      return [tensorFacts(t)];
    }
    case "Shape": {
      const a = need(ins[0], n, 0);
      const r = a.dims.length;
      const start = normAxisClamp(attr(n, "start", 0), r);
      const end = normAxisClamp(attr(n, "end", r), r);
      const v = a.dims.slice(start, end);
      return [{ type: DataType.INT64, dims: [v.length], value: v }];
    }
    case "Size":
      return [{ type: DataType.INT64, dims: [], value: [numel(need(ins[0], n, 0).dims)] }];
    case "Cast":
      return [cast(n, ins)];
    case "Gather":
      return [gather(n, ins)];
    case "Unsqueeze":
      return [unsqueeze(n, ins)];
    case "Squeeze":
      return [squeeze(n, ins)];
    case "Concat":
      return [concat(n, ins)];
    case "Reshape":
      return [reshape(n, ins)];
    case "Flatten": {
      const a = need(ins[0], n, 0);
      const axis = normAxis(attr(n, "axis", 1), a.dims.length + 1);
      return [{ type: a.type, dims: [numel(a.dims.slice(0, axis)), numel(a.dims.slice(axis))] }];
    }
    case "Transpose":
      return [transpose(n, ins)];
    case "Slice":
      return [slice(n, ins)];
    case "ReduceMean":
    case "ReduceSum":
    case "ReduceMax":
    case "ReduceMin":
    case "ReduceProd":
    case "ReduceL2":
      return [reduce(n, ins)];
    case "MatMul":
      return [
        { type: need(ins[0], n, 0).type, dims: matmulDims(need(ins[0], n, 0).dims, need(ins[1], n, 1).dims) },
      ];
    case "MatMulInteger":
      return [{ type: DataType.INT32, dims: matmulDims(need(ins[0], n, 0).dims, need(ins[1], n, 1).dims) }];
    case "DynamicQuantizeMatMul":
    case "MatMulIntegerToFloat":
      return [{ type: DataType.FLOAT, dims: matmulDims(need(ins[0], n, 0).dims, need(ins[1], n, 1).dims) }];
    case "Gemm": {
      const a = need(ins[0], n, 0).dims;
      const b = need(ins[1], n, 1).dims;
      const m = attr(n, "transA", 0) ? a[1]! : a[0]!;
      const nn = attr(n, "transB", 0) ? b[0]! : b[1]!;
      return [{ type: need(ins[0], n, 0).type, dims: [m, nn] }];
    }
    case "Conv":
      return [conv(n, ins)];
    case "Pad":
      return [pad(n, ins)];
    case "Range":
      return [range(n, ins)];
    case "Tile":
      return [tile(n, ins)];
    case "Expand":
      return [expand(n, ins)];
    case "Where":
      return [where(n, ins)];
    case "Split":
      return split(n, ins);
    case "TopK":
      return topK(n, ins);
    case "ConstantOfShape":
      return [constantOfShape(n, ins)];
    case "Clip":
      return [{ ...need(ins[0], n, 0), value: undefined }];
    case "DequantizeLinear":
      return [{ type: DataType.FLOAT, dims: need(ins[0], n, 0).dims }];
    case "QuantizeLinear":
      return [{ type: ins[2]?.type ?? DataType.UINT8, dims: need(ins[0], n, 0).dims }];
    case "DynamicQuantizeLinear": {
      const a = need(ins[0], n, 0);
      return [
        { type: DataType.UINT8, dims: a.dims },
        { type: DataType.FLOAT, dims: [] },
        { type: DataType.UINT8, dims: [] },
      ];
    }
    case "LayerNormalization": {
      const a = need(ins[0], n, 0);
      return [
        a,
        { type: DataType.FLOAT, dims: a.dims.map((d, i) => (i === a.dims.length - 1 ? 1 : d)) },
        { type: DataType.FLOAT, dims: a.dims.map((d, i) => (i === a.dims.length - 1 ? 1 : d)) },
      ].slice(0, n.output.length);
    }
    case "ArgMax": {
      const a = need(ins[0], n, 0);
      const axis = normAxis(attr(n, "axis", 0), a.dims.length);
      const keep = attr(n, "keepdims", 1);
      return [
        { type: DataType.INT64, dims: a.dims.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])) },
      ];
    }
    default:
      throw new Error(
        `the planner has no shape rule for ${n.domain ? n.domain + "::" : ""}${op} (node ${n.name})`,
      );
  }
}

function normAxisClamp(axis: number, rank: number): number {
  return Math.min(Math.max(axis < 0 ? axis + rank : axis, 0), rank);
}
