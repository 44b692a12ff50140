// What the quantizer does, as data. Defaults are the choices measured in bench/quant (see quant/README.md).

export interface QuantOptions {
  /** Only "int8" exists: 4-bit MatMulNBits was measured and rejected on WASM (README.md). */
  mode: "int8";
  /** Regular expressions; a weight whose initializer or consumer node name matches one stays fp32. */
  exclude: RegExp[];
  /** Weights with fewer elements stay fp32 (scales and kernel overheads outweigh the bytes saved). */
  minElements: number;
  /**
   * MatMul weights with more output columns than `splitAbove` are split into column blocks of at most
   * `splitBlock`, one DynamicQuantizeMatMul each, joined by a Concat (splitAbove 0: never). onnxruntime-web's
   * int8 GEMM is slower than fp32 on the 51289-column lm_head at one token per call, and ≈1.8× faster than
   * fp32 in blocks of 2048 columns (README.md).
   */
  splitAbove: number;
  splitBlock: number;
  /** Dense Conv weights: weight-only int8 (DequantizeLinear → Conv) or kept fp32. */
  conv: "dequantize" | "fp32";
  /** Depthwise (grouped) Conv weights are tiny (C·9) and stay fp32 unless this is set. */
  groupedConv: boolean;
  /** Token embedding tables (a Gather whose indices are a graph input) as int8 rows + per-row scales. */
  embeddings: boolean;
  /** Write weights as external data (`<file>_data`): onnxruntime-web then skips the protobuf copy. */
  externalData: boolean;
}

export const DEFAULT_OPTIONS: QuantOptions = {
  mode: "int8",
  exclude: [],
  minElements: 1024,
  splitAbove: 8192,
  splitBlock: 2048,
  conv: "dequantize",
  groupedConv: false,
  embeddings: true,
  externalData: true,
};

/** Why a candidate weight stayed fp32 (for the report). */
export type KeepReason = "excluded" | "small" | "not-2d" | "grouped-conv" | "conv-fp32" | "unsupported-attributes" | "opset<13" | "embeddings-off";
