// Quantized copies of fp32 initializers, made once per tensor and placed in the graph that owns the original.
// In the merged decoder both If branches read the same outer weight; the second branch's rewrite finds the
// copy made for the first, so the file holds each int8 weight once, shared by the branches as before.
import {
  dimsOf,
  makeTensor,
  tensorToArray,
  type ExternalLoader,
  type GraphProto,
  type TensorProto,
} from "../onnx-graph";
import { quantizeInt8 } from "./per-channel";
import type { NameRegistry, ResolvedConstant } from "./scope";

/** How a weight is laid out for its consumer: which axis holds the output channels. */
export type Layout =
  /** MatMul B [K, N]: one scale per column. */
  | "matmul"
  /** Gemm B with transB = 1, stored [N, K]: transposed to [K, N] first. */
  | "gemm-transposed"
  /** Embedding table [V, D]: one scale per row, scales stored [V, 1] so a gathered scale broadcasts over D. */
  | "rows"
  /** Conv weight [Cout, Cin/g, kh, kw]: one scale per output channel. */
  | "conv";

export interface QuantizedWeight {
  q: string;
  scale: string;
  source: TensorProto;
  elements: number;
  /** Largest |w − q·s| / max|w| over the tensor, a cheap per-weight error figure for the report. */
  maxRelError: number;
}

/** Shape of a stacked column-block weight: `blocks` × `width` columns cover the first `columns` of them. */
export interface StackedLayout {
  blocks: number;
  width: number;
  columns: number;
}

export class WeightQuantizer {
  private readonly done = new Map<string, QuantizedWeight>();

  constructor(
    private readonly names: NameRegistry,
    private readonly load?: ExternalLoader,
  ) {}

  get quantized(): QuantizedWeight[] {
    return [...this.done.values()];
  }

  /**
   * A MatMul weight [K, N] as column blocks of at most `chunk` columns, each with its own int8 copy and scales
   * (per-column scales do not depend on the split, so the values equal those of the whole-matrix layout).
   */
  getColumnChunks(c: ResolvedConstant, chunk: number): (QuantizedWeight & { columns: [number, number] })[] {
    const [k, n] = dimsOf(c.tensor) as [number, number];
    const { blocks: parts, width: size } = balancedBlocks(n, chunk);
    const w = tensorToArray(c.tensor, this.load) as Float32Array;
    const out: (QuantizedWeight & { columns: [number, number] })[] = [];
    for (let p = 0; p < parts; p++) {
      const c0 = p * size;
      const c1 = Math.min(n, c0 + size);
      const key = `${c.tensor.name}\u0000cols ${c0}-${c1}`;
      let hit = this.done.get(key);
      if (!hit) {
        const block = new Float32Array(k * (c1 - c0));
        for (let r = 0; r < k; r++) block.set(w.subarray(r * n + c0, r * n + c1), r * (c1 - c0));
        hit = this.add(
          c.owner,
          c.tensor,
          `${c.tensor.name}_cols${c0}`,
          block,
          k,
          c1 - c0,
          1,
          [k, c1 - c0],
          [c1 - c0],
        );
        this.done.set(key, hit);
      }
      out.push({ ...hit, columns: [c0, c1] });
    }
    return out;
  }

  /**
   * A MatMul weight [K, N] as `blocks` column blocks of `width` columns stacked into one int8 tensor
   * [blocks, K, width] with scales [blocks, 1, width] (the last block zero-padded, scale 1): a batched
   * DynamicQuantizeMatMul then runs every block over one quantized input. Each block is contiguous, so the
   * packing of B that MLAS's WASM kernel does on every call reads dense memory (the reason blocks beat the
   * whole lm_head at one row), without one node per block. Values equal the whole-matrix layout's.
   */
  getStackedColumns(c: ResolvedConstant, chunk: number): QuantizedWeight & StackedLayout {
    const [k, n] = dimsOf(c.tensor) as [number, number];
    const { blocks, width } = balancedBlocks(n, chunk);
    const key = `${c.tensor.name}\u0000stacked ${width}`;
    const hit = this.done.get(key);
    if (hit) return { ...hit, blocks, width, columns: n };
    const w = tensorToArray(c.tensor, this.load) as Float32Array;
    const { q, scales } = quantizeInt8(w, k, n, 1);
    const sq = new Int8Array(blocks * k * width);
    const ss = new Float32Array(blocks * width).fill(1);
    for (let b = 0; b < blocks; b++) {
      const c0 = b * width;
      const c1 = Math.min(n, c0 + width);
      for (let r = 0; r < k; r++) sq.set(q.subarray(r * n + c0, r * n + c1), (b * k + r) * width);
      ss.set(scales.subarray(c0, c1), b * width);
    }
    const qName = this.names.fresh(`${c.tensor.name}_stacked_quantized`);
    const sName = this.names.fresh(`${c.tensor.name}_stacked_scale`);
    addInitializer(c.owner, makeTensor(qName, sq, [blocks, k, width]));
    addInitializer(c.owner, makeTensor(sName, ss, [blocks, 1, width]));
    const r: QuantizedWeight = {
      q: qName,
      scale: sName,
      source: c.tensor,
      elements: w.length,
      maxRelError: relError(w, q, scales, k, n, 1),
    };
    this.done.set(key, r);
    return { ...r, blocks, width, columns: n };
  }

  /** The int8 copy and scales of `c` in `layout`, creating them in c.owner on first use. */
  get(c: ResolvedConstant, layout: Layout): QuantizedWeight {
    // Keyed by name: the same weight reached from two If branches is one entry (a subgraph initializer that
    // shadows an outer one of the same name would share it too; exports do not produce those).
    const key = `${c.tensor.name}\u0000${layout}`;
    const hit = this.done.get(key);
    if (hit) return hit;
    const dims = dimsOf(c.tensor);
    const w = tensorToArray(c.tensor, this.load) as Float32Array;
    const { matrix, rows, cols, axis, qDims, scaleDims } = view(w, dims, layout);
    const r = this.add(c.owner, c.tensor, c.tensor.name, matrix, rows, cols, axis, qDims, scaleDims);
    this.done.set(key, r);
    return r;
  }

  private add(
    owner: GraphProto,
    source: TensorProto,
    base: string,
    matrix: Float32Array,
    rows: number,
    cols: number,
    axis: 0 | 1,
    qDims: number[],
    scaleDims: number[],
  ): QuantizedWeight {
    const { q, scales } = quantizeInt8(matrix, rows, cols, axis);
    const qName = this.names.fresh(`${base}_quantized`);
    const sName = this.names.fresh(`${base}_scale`);
    addInitializer(owner, makeTensor(qName, q, qDims));
    addInitializer(owner, makeTensor(sName, scales, scaleDims));
    return {
      q: qName,
      scale: sName,
      source,
      elements: matrix.length,
      maxRelError: relError(matrix, q, scales, rows, cols, axis),
    };
  }
}

/**
 * `n` columns in the fewest blocks of at most `chunk`, all of one width (the last may be narrower, or padded in
 * the stacked form: by fewer than `blocks` columns). Both split forms use it, so they cut at the same columns.
 */
function balancedBlocks(n: number, chunk: number): { blocks: number; width: number } {
  const blocks = Math.ceil(n / chunk);
  return { blocks, width: Math.ceil(n / blocks) };
}

function addInitializer(g: GraphProto, t: TensorProto): void {
  g.initializer.push(t);
}

function view(w: Float32Array, dims: number[], layout: Layout) {
  switch (layout) {
    case "matmul":
      return {
        matrix: w,
        rows: dims[0]!,
        cols: dims[1]!,
        axis: 1 as const,
        qDims: dims,
        scaleDims: [dims[1]!],
      };
    case "gemm-transposed": {
      const [n, k] = dims as [number, number];
      const t = new Float32Array(w.length);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) t[j * n + i] = w[i * k + j]!;
      return { matrix: t, rows: k, cols: n, axis: 1 as const, qDims: [k, n], scaleDims: [n] };
    }
    case "rows":
      return {
        matrix: w,
        rows: dims[0]!,
        cols: dims[1]!,
        axis: 0 as const,
        qDims: dims,
        scaleDims: [dims[0]!, 1],
      };
    case "conv": {
      const cout = dims[0]!;
      return {
        matrix: w,
        rows: cout,
        cols: w.length / cout,
        axis: 0 as const,
        qDims: dims,
        scaleDims: [cout],
      };
    }
  }
}

function relError(
  w: Float32Array,
  q: Int8Array,
  s: Float32Array,
  rows: number,
  cols: number,
  axis: 0 | 1,
): number {
  let err = 0;
  let max = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      err = Math.max(err, Math.abs(w[i]! - q[i]! * s[axis ? c : r]!));
      max = Math.max(max, Math.abs(w[i]!));
    }
  }
  return max > 0 ? err / max : 0;
}
