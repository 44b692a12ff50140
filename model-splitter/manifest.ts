// manifest.json of a split model: what the splitter wrote and what the staged runtime reads. Shared by
// model-splitter/ (Node) and runtime/engine/staged/ (platform-neutral), so nothing here may import node:*.
//
// A split model is a folder holding the model folder's config files, one or more ONNX graphs per stage with
// their weights as external data in chunks (each ≤ the chunk limit, e.g. 25 MiB for a KV value), and this
// manifest. Stages run in order within their role; values flow between them by name.

export const SPLIT_FORMAT = "florence-edge.split/1";

export type ElemType = "float32" | "int64" | "int32" | "bool" | "uint8" | "int8";
export type Dim = number | string;

export interface TensorSpec {
  name: string;
  type: ElemType;
  /** Numbers, or symbolic names for sizes that vary per request. */
  dims: Dim[];
}

/** A stored file, relative to the split folder. */
export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

/** One ONNX graph: the .onnx file and the external data files it reads (their locations are relative to it). */
export interface GraphEntry {
  id: string;
  model: FileEntry;
  externalData: FileEntry[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Bytes of initializers (what the session holds). */
  weightBytes: number;
}

/** Which part of the Florence-2 engine contract a stage serves; stages of one role run in manifest order. */
export type StageRole = "vision" | "embed" | "encoder" | "decoder" | "lm_head";

/** Runs one graph once: inputs are taken from the role's named values, outputs added to them. */
export interface GraphStep {
  kind: "graph";
  graph: string;
  /** Named values no later step or stage reads: dropped after this step. */
  drop: string[];
}

/**
 * Output row o of a band pass reads input rows [o·stride − pad, o·stride − pad + kernel); rows outside the
 * map are fed as zeros with band_mask 0 (the band graph multiplies every convolution's input by the mask,
 * which is exactly the zero padding of the convolution it replaces).
 */
export interface RowMap {
  stride: number;
  kernel: number;
  pad: number;
}

/**
 * minmax: [min, max] over all bands (exact). sum: each band's partial holds one term per block of tokens along
 * its first axis; all terms are added in token order in float32 (the order the whole-map product adds them).
 */
export type StatReduce = "minmax" | "sum";

/**
 * One pass of a banded block: the same band graph run on consecutive row bands of a full map, either
 * writing the bands of a new full map or producing a statistic reduced over all bands (the channel
 * attention's qᵀk, or an activation's [min, max] for a dynamically quantized MatMul).
 * Band graph I/O: `band_in` (the input rows, same layout as the map), `band_mask` (float [rows], 1 inside
 * the map), the statistics by name; output `band_out` (tokens [1, rows·outWidth, channels]) or the
 * statistic's partial under its name.
 */
export interface BandPass {
  kind: "band";
  graph: string;
  /** A graph run on each band's outputs that gives the statistic's partial (its inputs: the band outputs). */
  post?: string;
  /** The full map read (a named value), [1, H·W, C] tokens or [1, C, H, W] pixels. */
  input: string;
  layout: "tokens" | "nchw";
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  rowMap: RowMap;
  /** Output row ranges [start, end), in order, covering [0, outHeight). */
  bands: [number, number][];
  /** Named statistics from earlier passes, fed to the band graph under the same names. */
  stats: string[];
  output:
    | { kind: "map"; name: string; channels: number }
    | { kind: "stat"; name: string; reduce: StatReduce; dims: number[] };
  drop: string[];
}

export type Step = GraphStep | BandPass;

/** Steps run in order; each graph is its own session, created one after another (see the planner). */
export interface SequenceProgram {
  kind: "sequence";
  steps: Step[];
}

/**
 * The decoder loop's stage: pieces of the merged decoder (without its lm_head), holding the request's KV
 * caches from the first step to the last. A step takes the named values of the previous decoder stage (for the
 * first: `inputs_embeds`, one token per row) and returns the stage's outputs (for the last: the final hidden
 * state, which the lm_head stage turns into token scores). Inputs named past_key_values.* / outputs named
 * present.* are the caches; encoder_hidden_states, encoder_attention_mask and use_cache_branch are fed by the
 * session.
 */
export interface DecoderProgram {
  kind: "decoder";
  graphs: string[];
  /**
   * The with-past branch reads the cross-attention K/V only through Transposes into MatMuls, which broadcast
   * over the batch: one batch-1 copy serves every beam (checked by the splitter).
   */
  sharedCross?: boolean;
  heads: number;
  headDim: number;
  dModel: number;
}

export type StageProgram = SequenceProgram | DecoderProgram;

export interface StageEstimate {
  /** Bytes of weights the stage's sessions hold. */
  weightBytes: number;
  /** Estimated peak of JS heap + WASM memory while the stage runs, at the planned shapes. */
  peakBytes: number;
  /** Parts of the estimate, for the report. */
  parts: Record<string, number>;
}

export interface StageMeasurement {
  /** Peak of WASM memory + live JS (heap + array buffers) measured by the probe, in bytes. */
  peakBytes: number;
  wasmBytes: number;
  jsBytes: number;
  /** Wall time of one run of the stage (creation excluded), ms. */
  runMs: number;
  createMs: number;
  /** What the measured run did (shapes, steps). */
  scenario: string;
}

export interface Stage {
  id: string;
  role: StageRole;
  graphs: GraphEntry[];
  program: StageProgram;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  estimate: StageEstimate;
  measured?: StageMeasurement;
}

export interface SplitManifest {
  format: typeof SPLIT_FORMAT;
  model: { id: string; version: string; quantization: string; source: string };
  budget: { bytes: number; target: number; chunkBytes: number };
  /** The onnxruntime-web cost model the planner used (from the probe). */
  calibration: Calibration;
  /** What the engine reports (EngineInfo minus backend and threads). */
  engine: { dModel: number; vocabSize: number; decoderLayers: number; heads: number; headDim: number };
  /** Shapes the plan holds for: image size, longest encoder input, decoding limits. */
  limits: { imageSize: number; maxEncoderLength: number; maxDecoderLength: number; maxRows: number };
  stages: Stage[];
  /** Every file of the split (config files, graphs, chunks) with its size and sha256. */
  files: FileEntry[];
}

/** The runtime's own cost, fitted to probe measurements. */
export interface Calibration {
  /** WASM + JS bytes of onnxruntime-web with a trivial session, before any weights. */
  runtimeBytes: number;
  /** Peak bytes per weight byte during session creation (JS copy + WASM copy). */
  createFactor: number;
  /** Resident bytes per weight byte after creation. */
  residentFactor: number;
  /** Multiplier on the planner's activation estimate of whole-graph pieces (fragmentation, kernel scratch). */
  activationFactor: number;
  /**
   * The same for band passes (DaViT stages run in bands), whose stages also hold per-band copies and ORT
   * tensors of band inputs and outputs in JS. Absent in older manifests: activationFactor applied to both.
   */
  bandActivationFactor?: number;
  source: string;
}

/** Stages of one role, in run order. */
export function stagesOf(m: SplitManifest, role: StageRole): Stage[] {
  return m.stages.filter((s) => s.role === role);
}
