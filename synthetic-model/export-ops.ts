// Building blocks written the way PyTorch's torch.onnx.export (opset 14) writes them, so that quant/ and
// model-splitter/ meet the same node patterns in our synthetic files as in the real exports (REFERENCE.md §2):
// Linear → MatMul with a transposed weight initializer named `onnx::MatMul_N` + Add of `<module>.bias`;
// LayerNorm decomposed (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add); GELU in its exact erf form;
// shape constants as Constant nodes. Weights come from a seeded PRNG forked per tensor name.
import { DataType, float, GraphBuilder, Random, type AttrValue } from "../onnx-graph";

export interface ParamStats {
  /** Learned parameters (what the model card counts). */
  params: number;
  /** Elements of every initializer, including fixed buffers. */
  elements: number;
}

export class Exporter {
  readonly g: GraphBuilder;
  readonly stats: ParamStats = { params: 0, elements: 0 };
  private matmulCounter = 0;

  constructor(
    name: string,
    private readonly rng: Random,
  ) {
    this.g = new GraphBuilder(name);
  }

  // ---- parameters -------------------------------------------------------------------------------------
  /** A learned fp32 parameter drawn from N(mean, std²), named after its PyTorch state-dict key. */
  param(name: string, dims: number[], std: number, mean = 0): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.stats.params += n;
    this.stats.elements += n;
    return this.g.initializer(name, this.rng.fork(name).normalArray(n, std, mean), dims);
  }

  /** A learned fp32 parameter with a fixed value (LayerNorm weight 1 / bias 0 at initialisation). */
  filled(name: string, dims: number[], value: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.stats.params += n;
    this.stats.elements += n;
    return this.g.initializer(name, new Float32Array(n).fill(value), dims);
  }

  /** A fixed buffer (not a learned parameter), e.g. the cosine temporal table. */
  buffer(name: string, data: Float32Array, dims: number[]): string {
    this.stats.elements += data.length;
    return this.g.initializer(name, data, dims);
  }

  // ---- constants ----------------------------------------------------------------------------------------
  ints(values: number[]): string {
    return this.g.constant(BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  scalar(value: number): string {
    return this.g.constant(Float32Array.of(value), []);
  }

  scalarInt(value: number): string {
    return this.g.constant(BigInt64Array.of(BigInt(value)), []);
  }

  // ---- ops ----------------------------------------------------------------------------------------------
  op(
    type: string,
    inputs: string[],
    attrs: Record<string, AttrValue | undefined> = {},
    name?: string,
  ): string {
    return this.g.op(type, inputs, attrs, name ? { name } : {});
  }

  /** nn.Linear: x·Wᵀ + b, with Wᵀ stored as `onnx::MatMul_N` (in × out), as the exporter writes it. */
  linear(x: string, module: string, inF: number, outF: number, std: number, bias = true): string {
    const w = this.param(`onnx::MatMul_${this.nextMatMulId()}`, [inF, outF], std);
    const y = this.op("MatMul", [x, w], {}, `/${module}/MatMul`);
    if (!bias) return y;
    const b = this.param(`${module}.bias`, [outF], std);
    return this.op("Add", [b, y], {}, `/${module}/Add`);
  }

  /** Weight names continue across the exporters of one file (torch numbers them per export). */
  nextMatMulId(): number {
    return 1000 + this.matmulCounter++;
  }

  /** nn.LayerNorm over the last axis, decomposed as opset-14 exports do. */
  layerNorm(x: string, module: string, dim: number, eps = 1e-5): string {
    const w = this.filled(`${module}.weight`, [dim], 1);
    const b = this.filled(`${module}.bias`, [dim], 0);
    const p = `/${module}`;
    const mean = this.op("ReduceMean", [x], { axes: [-1], keepdims: 1 }, `${p}/ReduceMean`);
    const d = this.op("Sub", [x, mean], {}, `${p}/Sub`);
    const sq = this.op("Pow", [d, this.scalar(2)], {}, `${p}/Pow`);
    const v = this.op("ReduceMean", [sq], { axes: [-1], keepdims: 1 }, `${p}/ReduceMean_1`);
    const ve = this.op("Add", [v, this.scalar(eps)], {}, `${p}/Add`);
    const sd = this.op("Sqrt", [ve], {}, `${p}/Sqrt`);
    const n = this.op("Div", [d, sd], {}, `${p}/Div`);
    const s = this.op("Mul", [n, w], {}, `${p}/Mul`);
    return this.op("Add", [s, b], {}, `${p}/Add_1`);
  }

  /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
  gelu(x: string, module: string): string {
    const p = `/${module}`;
    const d = this.op("Div", [x, this.scalar(Math.SQRT2)], {}, `${p}/Div`);
    const e = this.op("Erf", [d], {}, `${p}/Erf`);
    const a = this.op("Add", [e, this.scalar(1)], {}, `${p}/Add`);
    const m = this.op("Mul", [x, a], {}, `${p}/Mul`);
    return this.op("Mul", [m, this.scalar(0.5)], {}, `${p}/Mul_1`);
  }

  reshape(x: string, shape: number[] | string): string {
    return this.op("Reshape", [x, typeof shape === "string" ? shape : this.ints(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op("Transpose", [x], { perm });
  }

  matmul(a: string, b: string): string {
    return this.op("MatMul", [a, b]);
  }

  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op("Mul", [a, b]);
  }

  softmax(x: string, axis = -1): string {
    return this.op("Softmax", [x], { axis });
  }

  /** Dimension `axis` of x as a 1-element int64 tensor (Shape → Gather → Unsqueeze, as the exporter does). */
  dim(x: string, axis: number): string {
    const shape = this.op("Shape", [x]);
    const d = this.op("Gather", [shape, this.scalarInt(axis)], { axis: 0 });
    return this.op("Unsqueeze", [d, this.ints([0])]);
  }

  /** Concatenates 1-D int64 pieces into a shape tensor. */
  shapeOf(parts: string[]): string {
    return this.op("Concat", parts, { axis: 0 });
  }

  /** For attributes that must stay float even when integral. */
  static f(v: number): AttrValue {
    return float(v);
  }
}

export { DataType };
