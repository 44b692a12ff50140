// The onnxruntime-web (WASM SIMD) engine. Models arrive as bytes through the injected loader, with their
// external data passed as `externalData` (weights then skip the protobuf copy: REFERENCE.md §6 measured
// 58 MB instead of 142 MB of WASM memory for a 50 MB model).
import * as ortWasm from "onnxruntime-web/wasm";
import {
  configureOrtWeb,
  ortWebConfigured,
  type OrtWeb,
  type OrtWebDefaults,
  type OrtWebSettings,
} from "../ort-env";
import { applicableMemoryHint, hintedInitialBytes } from "./memory-hint";
import {
  loadGraphBytes,
  readOptionalJson,
  type GraphBytes,
  type LoadFile,
  type ModelFileOptions,
} from "./model-files";
import { OrtFlorence2Engine, type GraphSessions } from "./ort-engine";
import type { InferenceSession } from "./ort-types";
import { GRAPH_NAMES, type Florence2Engine } from "./types";

export interface OrtWebEngineOptions extends OrtWebSettings, ModelFileOptions {
  /** Reads a file of the model folder (e.g. from R2, KV, fetch or the file system). */
  loadFile: LoadFile;
  /**
   * The onnxruntime-web module. Default: `onnxruntime-web/wasm`, the WASM-only bundle with the Emscripten glue
   * inlined (what workerd and browsers load). Node callers wanting threads pass the package's Node build
   * (see runtime-node/engine-ort-web-node.ts).
   */
  ort?: OrtWeb;
  /**
   * Start the WASM heap at the engine peak recorded in the folder's florence_edge.json (`memory`, written by
   * `npm run quant:memory`) plus MEMORY_HINT_MARGIN_BYTES, when that record matches this onnxruntime-web
   * version, thread count, graph files and weights, this instance is not configured yet, and
   * `initialMemoryBytes` is not set. Default true; false keeps onnxruntime-web's own growth.
   */
  memoryHint?: boolean;
}

/** Session options for every graph: full graph optimisation on the WASM execution provider. */
export function webSessionOptions(externalData: GraphBytes["externalData"]): InferenceSession.SessionOptions {
  return { executionProviders: ["wasm"], graphOptimizationLevel: "all", externalData };
}

/** Creates one onnxruntime-web session from a graph's bytes (the ort instance must be configured first). */
export function createWebSession(ort: OrtWeb, graph: GraphBytes): Promise<InferenceSession> {
  return ort.InferenceSession.create(graph.model, webSessionOptions(graph.externalData));
}

export async function createOrtWebEngine(opts: OrtWebEngineOptions): Promise<Florence2Engine> {
  const ort = opts.ort ?? ortWasm;
  const threads = configureOrtWeb(ort, opts, await recordedDefaults(ort, opts));
  const sessions: Partial<GraphSessions> = {};
  try {
    // One graph at a time: its bytes can be dropped once the session holds the weights, which keeps the peak
    // near the largest graph instead of the sum.
    for (const name of GRAPH_NAMES) {
      sessions[name] = await createWebSession(ort, await loadGraphBytes(name, opts.loadFile, opts));
    }
    // onnxruntime-web writes back 1 when it had to fall back from threads, so report what it actually uses.
    return new OrtFlorence2Engine(
      sessions as GraphSessions,
      ort.Tensor,
      "ort-web",
      ort.env.wasm.numThreads ?? threads,
    );
  } catch (err) {
    await Promise.all(Object.values(sessions).map((s) => s.release().catch(() => undefined)));
    throw err;
  }
}

/** The folder's recorded heap peak as a configuration default, when it applies (memory-hint.ts). */
async function recordedDefaults(ort: OrtWeb, opts: OrtWebEngineOptions): Promise<OrtWebDefaults> {
  if (opts.memoryHint === false || opts.initialMemoryBytes !== undefined || ortWebConfigured(ort)) return {};
  const found = applicableMemoryHint(await readOptionalJson(opts.loadFile, "florence_edge.json"), {
    ...opts,
    onnxruntimeWeb: ort.env.versions?.web,
    numThreads: opts.numThreads ?? 1,
  });
  return "hint" in found ? { initialMemoryBytes: hintedInitialBytes(found.hint.engine) } : {};
}
