// onnxruntime-node sessions for a split folder's graphs (paths; ORT finds the chunks itself). The probe runs
// the stages BEFORE the measured one with these, so the measured stage gets real inputs while its
// onnxruntime-web instance and WASM memory hold nothing but itself (native memory is not counted).
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { SessionHost } from "../../runtime/engine/staged/session-host";
import type { TensorConstructor } from "../../runtime/engine/ort-types";

export function nodeSessionHost(splitDir: string, threads = 1): SessionHost {
  return {
    Tensor: ort.Tensor as unknown as TensorConstructor,
    create: async (g) =>
      (await ort.InferenceSession.create(join(splitDir, g.model.path), {
        intraOpNumThreads: threads,
        graphOptimizationLevel: "all",
      })) as unknown as Awaited<ReturnType<SessionHost["create"]>>,
  };
}
