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
   * `splitBlock`, one DynamicQuantizeMatMul each, joined by a Concat (splitAbove 0: never), in the files
   * matching `splitFiles` only. onnxruntime-web's int8 GEMM at one row per call (decoding) is slower than fp32
   * on the 51289-column lm_head and fastest in blocks of 512 columns; the same holds, less strongly, for the
   * 3072-column fc1 (README.md, "Decoder step"). Encoder-side GEMMs have hundreds of rows and gain nothing.
   */
  splitAbove: number;
  splitBlock: number;
  /**
   * How the blocks of a split weight are emitted: "concat", one DynamicQuantizeMatMul per block joined by a
   * Concat; "stacked", the blocks stacked into one [blocks, K, block] weight and one batched
   * DynamicQuantizeMatMul (the input quantized once), reshaped back to [..., N]. Same values either way.
   */
  splitForm: "concat" | "stacked";
  /**
   * Split weights whose MatMul node name matches keep the Concat form even when splitForm is "stacked". The
   * model splitter (model-splitter/rewrite/lm-head.ts) moves the lm_head into a stage of its own by finding
   * one weight op, or a Concat of weight ops, in front of `logits`; it does not know the stacked form.
   */
  splitConcat: RegExp;
  /** Model file names (e.g. "decoder_model_merged.onnx") whose weights may be split. */
  splitFiles: RegExp;
  /** Dense Conv weights: weight-only int8 (DequantizeLinear → Conv) or kept fp32. */
  conv: "dequantize" | "fp32";
  /** Depthwise (grouped) Conv weights are tiny (C·9) and stay fp32 unless this is set. */
  groupedConv: boolean;
  /** Token embedding tables (a Gather whose indices are a graph input) as int8 rows + per-row scales. */
  embeddings: boolean;
  /** Write weights as external data (`<file>_data`): onnxruntime-web then skips the protobuf copy. */
  externalData: boolean;
  /**
   * DaViT stages whose map has at least this many rows (192² and 96² at 768²: stages 0–1) quantize each
   * band of map rows with its own activation range instead of the whole map's (range-blocks.ts): the stages a
   * Worker must run in bands then need no statistics passes. 0: whole-map ranges everywhere.
   */
  rangeBlockMinHeight: number;
}

export const DEFAULT_OPTIONS: QuantOptions = {
  mode: "int8",
  exclude: [],
  minElements: 1024,
  splitAbove: 2048,
  splitBlock: 512,
  splitForm: "concat",
  splitConcat: /lm_head/,
  splitFiles: /decoder/,
  conv: "dequantize",
  groupedConv: false,
  embeddings: true,
  externalData: true,
  rangeBlockMinHeight: 96,
};

/** Why a candidate weight stayed fp32 (for the report). */
export type KeepReason =
  | "excluded"
  | "small"
  | "not-2d"
  | "grouped-conv"
  | "conv-fp32"
  | "unsupported-attributes"
  | "opset<13"
  | "embeddings-off";
