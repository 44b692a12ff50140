// The `memory` section of a model folder's florence_edge.json (written by `npm run quant:memory`,
// quant/memory-hint.ts): onnxruntime-web's WASM heap peak while creating the engine's sessions, measured for
// one onnxruntime-web version and thread count. The engine starts its heap there (runtime/ort-env.ts
// `initialMemoryBytes`) so Emscripten never grows it by 20% past the peak.
//
// A hint is only trusted when it describes what is about to run: same onnxruntime-web version, same thread
// count, the same graph files, and (for quantized folders) the same weights. A stale hint is worse than none:
// a start below the real peak grows by 20% of a larger size (quant/README.md "Memory").
import type { ModelFileOptions } from "./model-files";
import { graphPath } from "./model-files";
import { GRAPH_NAMES, type GraphName } from "./types";

/** One measured peak: the smallest initial heap (whole MiB) that session creation did not grow. */
export interface MemoryPeak {
  /** Bytes of the graph files (model + external data) measured. */
  file_bytes: number;
  peak_bytes: number;
  /**
   * The heap after creation from onnxruntime-web's own 16 MiB start (Emscripten's growth). Creation fits in
   * it too, so a start above it would only be worse than no hint.
   */
  grown_bytes?: number;
}

export interface MemoryHint {
  /** `ort.env.versions.web` of the onnxruntime-web that was measured. */
  onnxruntime_web: string;
  num_threads: number;
  /** The graph files measured, relative to the model folder (default layout: `onnx/<graph>.onnx`). */
  files: Record<GraphName, string>;
  /** `quantization.weights_digest` of the folder when it was measured, if it had one. */
  weights_digest?: string;
  /** Each graph alone in a fresh onnxruntime-web instance (what a one-graph isolate needs). */
  graphs: Record<GraphName, MemoryPeak>;
  /** All four graphs in one instance, created in the runtime's order (what one Worker loads). */
  engine: MemoryPeak & { order: GraphName[] };
  /** How it was measured, in words. */
  method: string;
  measured_at: string;
}

/**
 * Added to a recorded peak before it is used as the initial heap. The peak is a whole MiB that fitted, and
 * it was the same MiB in every measurement (repeated searches; the WASM-only bundle and the Node build, with
 * and without a precompiled module: quant/README.md "Memory"), because what the heap holds is decided by
 * onnxruntime's C++ alone. The margin is insurance against an environment not measured (workerd) allocating
 * a little more: one MiB more is 0.35% of base's engine, one MiB short would cost 20%.
 */
export const MEMORY_HINT_MARGIN_BYTES = 2 ** 20;

/**
 * The initial heap to use for a recorded peak: the peak plus the margin, but never more than the heap
 * onnxruntime-web grows to by itself (where creation fits as well), so a hint is never worse than none.
 */
export function hintedInitialBytes(peak: MemoryPeak): number {
  return Math.min(peak.peak_bytes + MEMORY_HINT_MARGIN_BYTES, peak.grown_bytes ?? Number.POSITIVE_INFINITY);
}

export interface HintContext extends ModelFileOptions {
  /** The running onnxruntime-web's `env.versions.web`. */
  onnxruntimeWeb: string | undefined;
  numThreads: number;
}

/**
 * The memory hint of a parsed florence_edge.json if it applies to this run, else the reason it does not
 * (for logs and tests).
 */
export function applicableMemoryHint(
  meta: unknown,
  ctx: HintContext,
): { hint: MemoryHint } | { reason: string } {
  if (!isRecord(meta)) return { reason: "no florence_edge.json" };
  const m = meta.memory;
  if (!isHint(m)) return { reason: m === undefined ? "no memory section" : "malformed memory section" };
  if (!ctx.onnxruntimeWeb || m.onnxruntime_web !== ctx.onnxruntimeWeb)
    return { reason: `measured with onnxruntime-web ${m.onnxruntime_web}, running ${ctx.onnxruntimeWeb}` };
  if (m.num_threads !== ctx.numThreads)
    return { reason: `measured with ${m.num_threads} threads, running ${ctx.numThreads}` };
  for (const g of GRAPH_NAMES) {
    if (m.files[g] !== graphPath(g, ctx))
      return { reason: `measured ${m.files[g]}, loading ${graphPath(g, ctx)}` };
  }
  const q = meta.quantization;
  const digest = isRecord(q) && typeof q.weights_digest === "string" ? q.weights_digest : undefined;
  if (m.weights_digest !== digest) return { reason: "measured other weights (weights_digest differs)" };
  return { hint: m };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isPeak(v: unknown): v is MemoryPeak {
  return (
    isRecord(v) &&
    isBytes(v.peak_bytes) &&
    isBytes(v.file_bytes) &&
    (v.grown_bytes === undefined || isBytes(v.grown_bytes))
  );
}

function isBytes(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

function isHint(v: unknown): v is MemoryHint {
  if (!isRecord(v) || typeof v.onnxruntime_web !== "string" || typeof v.num_threads !== "number")
    return false;
  const files = v.files;
  const graphs = v.graphs;
  if (!isRecord(files) || !isRecord(graphs) || !isPeak(v.engine)) return false;
  if (v.weights_digest !== undefined && typeof v.weights_digest !== "string") return false;
  return GRAPH_NAMES.every((g) => typeof files[g] === "string" && isPeak(graphs[g]));
}
