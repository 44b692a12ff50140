// What the evaluator knows about one value: element type, concrete dims at the planned input sizes, and the
// values themselves when the tensor is small (shape arithmetic: Shape → Gather → Concat → Reshape targets).
import {
  DataType,
  dtypeInfo,
  numel,
  tensorToArray,
  type ExternalLoader,
  type TensorProto,
} from "../../onnx-graph";

export interface Facts {
  type: DataType;
  dims: number[];
  /** Element values (numbers, also for int64) when the tensor has at most MAX_VALUES elements. */
  value?: number[];
}

/** Tensors up to this many elements carry their values (shape vectors, scalars). */
export const MAX_VALUES = 64;

export function bytesOf(f: Facts): number {
  return numel(f.dims) * elemBytes(f.type);
}

export function elemBytes(t: DataType): number {
  return t === DataType.STRING ? 8 : dtypeInfo(t).bytes;
}

/** Facts of an initializer or Constant tensor; small ones carry their values. */
export function tensorFacts(t: TensorProto, load?: ExternalLoader): Facts {
  const dims = t.dims.map(Number);
  const f: Facts = { type: t.dataType, dims };
  if (numel(dims) <= MAX_VALUES) {
    const arr = tensorToArray(t, load);
    f.value = Array.from(arr as ArrayLike<number | bigint>, (v) => Number(v));
  }
  return f;
}

/** Values kept only while small. */
export function withValue(type: DataType, dims: number[], value: number[] | undefined): Facts {
  return value !== undefined && value.length <= MAX_VALUES ? { type, dims, value } : { type, dims };
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Numpy broadcasting of two shapes. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new Error(`shapes [${a.join(",")}] and [${b.join(",")}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Element i of a broadcast operand with dims `from` inside a result with dims `to`. */
export function broadcastIndex(i: number, to: readonly number[], from: readonly number[]): number {
  const st = strides(to);
  const sf = strides(from);
  const off = to.length - from.length;
  let idx = 0;
  let rest = i;
  for (let d = 0; d < to.length; d++) {
    const c = Math.floor(rest / st[d]!);
    rest -= c * st[d]!;
    const fd = d - off;
    if (fd >= 0 && from[fd] !== 1) idx += c * sf[fd]!;
  }
  return idx;
}

export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
