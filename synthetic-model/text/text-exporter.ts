// The Exporter, with what the language graphs need on top: weights drawn in PyTorch layout from the fork of
// their state-dict key (so a Linear's `onnx::MatMul_N` initializer is the transpose of `<module>.weight`,
// and the decoder's lm_head copy equals the tied token embedding), an optional cache so the two decoders
// that optimum merges share buffers, and a shapes-only mode to count `base` parameters without drawing them.
import { create } from "@bufbuild/protobuf";
import { DataType, TensorProtoSchema, type Random } from "../../onnx-graph";
import { Exporter } from "../export-ops";

/** Drawn weights by (key, std, dims, layout); shared by the graphs of one build. */
export type WeightCache = Map<string, Float32Array>;

export interface TextBuildOptions {
  /** false: initializers carry dims but no data (parameter counting only; the model cannot be run). Default true. */
  materialize?: boolean;
  cache?: WeightCache;
}

/** float32 finfo.min, the additive "minus infinity" of transformers' attention masks. */
export const FLOAT32_MIN = -3.4028234663852886e38;

export class TextExporter extends Exporter {
  private readonly materialize: boolean;
  private readonly cache: WeightCache;

  constructor(
    name: string,
    private readonly random: Random,
    opts: TextBuildOptions = {},
  ) {
    super(name, random);
    this.materialize = opts.materialize ?? true;
    this.cache = opts.cache ?? new Map();
  }

  /** A learned parameter named after its state-dict key, values N(mean, std²) from the key's fork. */
  override param(name: string, dims: number[], std: number, mean = 0): string {
    return this.learned(name, dims, () => this.draw(name, dims, std, mean, false));
  }

  /**
   * nn.Linear(inF → outF) as the exporter writes it: MatMul with Wᵀ stored as `onnx::MatMul_N` (inF × outF),
   * then Add of `<module>.bias`. W (outF × inF) is drawn from the fork of `weightKey` (default
   * `<module>.weight`); passing the embedding's key gives the tied lm_head.
   */
  linearT(
    x: string,
    module: string,
    inF: number,
    outF: number,
    std: number,
    opts: { bias?: boolean; weightKey?: string } = {},
  ): string {
    const key = opts.weightKey ?? `${module}.weight`;
    const name = `onnx::MatMul_${this.nextMatMulId()}`;
    const w = this.learned(name, [inF, outF], () => this.draw(key, [outF, inF], std, 0, true));
    const y = this.op("MatMul", [x, w], {}, `/${module}/MatMul`);
    if (opts.bias === false) return y;
    const b = this.param(`${module}.bias`, [outF], std);
    return this.op("Add", [b, y], {}, `/${module}/Add`);
  }

  /** A fixed all-zero buffer (not a learned parameter), e.g. final_logits_bias. */
  zerosBuffer(name: string, dims: number[]): string {
    if (this.materialize) return this.buffer(name, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    this.stats.elements += dims.reduce((a, b) => a * b, 1);
    return this.shapeOnly(name, dims);
  }

  /** Dimension `axis` of x as an int64 scalar (Shape → Gather with a scalar index). */
  scalarDim(x: string, axis: number, module = ""): string {
    const shape = this.op("Shape", [x], {}, `${module}/Shape`);
    return this.op("Gather", [shape, this.scalarInt(axis)], { axis: 0 }, `${module}/Gather`);
  }

  /** Gives a value its public name (a graph output), rewriting its producer and every reader. */
  rename(from: string, to: string): string {
    for (const n of this.g.nodes) {
      n.output = n.output.map((o) => (o === from ? to : o));
      n.input = n.input.map((i) => (i === from ? to : i));
    }
    this.g.reserve(to);
    return to;
  }

  private learned(name: string, dims: number[], data: () => Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.stats.params += n;
    this.stats.elements += n;
    return this.materialize ? this.g.initializer(name, data(), dims) : this.shapeOnly(name, dims);
  }

  private shapeOnly(name: string, dims: number[]): string {
    return this.g.addInitializer(
      create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: DataType.FLOAT }),
    );
  }

  /** N(mean, std²) draws of a [rows, cols] PyTorch tensor, optionally returned transposed ([cols, rows]). */
  private draw(key: string, dims: number[], std: number, mean: number, transposed: boolean): Float32Array {
    const id = `${key}|${dims.join("x")}|${std}|${mean}|${transposed ? "T" : "N"}`;
    const hit = this.cache.get(id);
    if (hit) return hit;
    const n = dims.reduce((a, b) => a * b, 1);
    const values = this.random.fork(key).normalArray(n, std, mean);
    const out = transposed ? transpose2d(values, dims[0]!, dims[1]!) : values;
    this.cache.set(id, out);
    return out;
  }
}

function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[base + c]!;
  }
  return out;
}
