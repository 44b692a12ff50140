// The shapes the end-to-end benchmark passes around: a job (one child process, one configuration), the rows a
// job measures, and the run's result file. Kept free of logic so every module (and the tests) can share them.

export type Weights = "fp32" | "int8";
export type Task = "<CAPTION>" | "<OD>";
/**
 * miss: a new image (vision encoder + encoder + decoder); hit: cached image features, new task (encoder +
 * decoder); repeat: the identical request again (result cache, over HTTP); beam3-hit: `hit` with 3 beams.
 */
export type Scenario = "miss" | "hit" | "repeat" | "beam3-hit";

/** Who runs the request, on what. One job = one process (onnxruntime-web's thread count is process-wide). */
export type Job =
  | { kind: "ours"; backend: "ort-web" | "ort-node"; threads: number; weights: Weights }
  | { kind: "tjs-node"; weights: Weights }
  | { kind: "tjs-web"; threads: number; weights: Weights }
  | { kind: "result-hit"; threads: number; weights: Weights }
  | { kind: "matmul-peak"; threads: number; when: "start" | "end" }
  | { kind: "edge"; weights: Weights };

/** Percentiles of repeated timings (milliseconds). */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}

export interface Row {
  /** Stable key, e.g. "ours/ort-web/2/int8/<CAPTION>/hit". */
  id: string;
  /** Human label of the system, e.g. "ours · onnxruntime-web WASM · 2 threads". */
  system: string;
  job: Job;
  weights: Weights;
  threads: number | "all";
  task: Task;
  scenario: Scenario;
  /** New tokens per request (fixed; see README "Fixed length"). */
  newTokens: number;
  /** Request latency samples (ms) and their summary; absent when the row is not available. */
  samples?: number[];
  latency?: Summary;
  /**
   * CPU time per request (ms, all threads of the processes doing the work): steadier than wall time on a
   * shared machine, since other processes delay a request without making it execute more (bench/e2e/cpu-time.ts).
   */
  cpu?: Summary;
  /** Medians of CPU time (ms) of steps: vision (bytes → features), decoderStep (one steady-state step). */
  stageCpu?: Record<string, number>;
  /**
   * Medians of the steps (ms), where the system reports them: ours pixels/vision/encoder/decoder/parse; the
   * peers preprocess/generate/parse; over HTTP the server's own hash/cache/total.
   */
  stages?: Record<string, number>;
  /** Decoder tokens per second: all steps / decoder time, and steady state (steps after the first). */
  tokensPerS?: number;
  steadyTokensPerS?: number;
  /** Why there is no measurement ("not available yet (issue 7)", "not available: <reason>"). */
  unavailable?: string;
  note?: string;
}

/** Per-job facts that are not per-request latencies. */
export interface JobInfo {
  job: Job;
  system: string;
  loadMs?: number;
  /** First request after load (includes one-off allocations). */
  firstRequestMs?: number;
  /** Peak WebAssembly memory of onnxruntime-web (bytes), where it can be read. */
  wasmBytes?: number;
  /** Peak resident set size of the process (bytes), from process.resourceUsage(). */
  maxRssBytes?: number;
  /** MatMul peak (multiply-accumulates per second), matmul-peak jobs only. */
  matmul?: MatMulPeak[];
  /** Load average (1 min) at the start and end of the job: the machine is shared. */
  loadAvg?: [number, number];
  extra?: Record<string, unknown>;
  /** Edge job: the staged deployment's stages (cold start, peak memory) and where those numbers come from. */
  stages?: EdgeStage[];
  stagesSource?: string;
  error?: string;
}

/** One stage of the staged deployment (one Worker isolate, one WASM thread). */
export interface EdgeStage {
  id: string;
  role: string;
  /** Initializer bytes of its graphs. */
  weightBytes: number;
  /** The splitter's planned peak (bytes). */
  estimatedPeakBytes: number;
  /** Chunk load + session creation (ms). */
  coldStartMs?: number;
  /** One run of the stage on its largest planned input (ms). */
  runMs?: number;
  /** WASM memory + JS heap at their peaks (bytes): the 128 MiB per-isolate limit applies to this. */
  peakBytes?: number;
  wasmBytes?: number;
  jsBytes?: number;
  /** What the measured run did. */
  scenario?: string;
  /** The same stage's cold start inside workerd, as its Worker reported it after the run's first request. */
  workerd?: { readMs?: number; hashMs?: number; sessionMs?: number; totalMs?: number };
}

export interface MatMulPeak {
  pattern: string;
  shape: string;
  m: number;
  k: number;
  n: number;
  threads: number;
  medianMs: number;
  /** Fastest run: a peak is what the machine can do, so the best run (least disturbed) is the estimate. */
  minMs: number;
  /** MACs / fastest run's wall time. */
  macsPerS: number;
  /** Median CPU time per run (ms, all threads) and MACs per CPU-second: a per-thread rate, robust to load. */
  cpuMs: number;
  macsPerCpuS: number;
}

export interface JobResult {
  info: JobInfo;
  rows: Row[];
}
