// The onnxruntime-node engine (native CPU execution provider): the reference the WASM engine is checked
// against, and a fast option for self-hosting in Node. Sessions load from paths, so external data files
// beside each .onnx are found by onnxruntime itself and the weights are never copied through JS.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { graphPath, type ModelFileOptions } from "../runtime/engine/model-files";
import { OrtFlorence2Engine, type GraphSessions } from "../runtime/engine/ort-engine";
import { GRAPH_NAMES, type Florence2Engine } from "../runtime/engine/types";

export interface OrtNodeEngineOptions extends ModelFileOptions {
  /** The model folder (holding onnx/*.onnx). */
  modelDir: string;
  /** Intra-op threads per session (default: all available cores). */
  threads?: number;
}

export async function createOrtNodeEngine(opts: OrtNodeEngineOptions): Promise<Florence2Engine> {
  const threads = opts.threads ?? availableParallelism();
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
  const sessions: Partial<GraphSessions> = {};
  try {
    for (const name of GRAPH_NAMES) {
      sessions[name] = await ort.InferenceSession.create(join(opts.modelDir, graphPath(name, opts)), options);
    }
    return new OrtFlorence2Engine(sessions as GraphSessions, ort.Tensor, "ort-node", threads);
  } catch (err) {
    await Promise.all(Object.values(sessions).map((s) => s.release().catch(() => undefined)));
    throw err;
  }
}
