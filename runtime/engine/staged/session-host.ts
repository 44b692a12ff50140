// Creates onnxruntime sessions for a split model's graphs. The onnxruntime-web host loads each graph's bytes
// and external data chunks through the injected loader, creates the session and lets the bytes go before the
// next graph is loaded: a stage's creation peak is then its resident weights plus ONE graph's bytes, not
// twice all of them (model-splitter/README.md, calibration).
import type { GraphEntry } from "../../../model-splitter/manifest";
import type { LoadFile } from "../model-files";
import { createWebSession } from "../ort-web";
import type { InferenceSession, TensorConstructor } from "../ort-types";
import type { OrtWeb } from "../../ort-env";

export interface SessionHost {
  readonly Tensor: TensorConstructor;
  create(graph: GraphEntry): Promise<InferenceSession>;
}

/** The basename of a path (external data locations are written relative to the .onnx file, in its folder). */
function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function webSessionHost(ort: OrtWeb, loadFile: LoadFile): SessionHost {
  return {
    Tensor: ort.Tensor,
    async create(graph: GraphEntry): Promise<InferenceSession> {
      const model = await loadFile(graph.model.path);
      const externalData = [];
      for (const chunk of graph.externalData)
        externalData.push({ path: basename(chunk.path), data: await loadFile(chunk.path) });
      return createWebSession(ort, { path: graph.model.path, model, externalData });
    },
  };
}
