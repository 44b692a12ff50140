// onnxruntime-web's Node build with 2 WASM threads (worker_threads), the binary loaded by onnxruntime-web.
import { createOrtWebNodeEngine } from "../../runtime-node/engine-ort-web-node";
import { runEngineConformance } from "./engine.case";
import { TOY_MODEL } from "./models";

runEngineConformance("ort-web engine, node build, 2 threads", {
  makeEngine: (modelDir) => createOrtWebNodeEngine({ modelDir, build: "node", numThreads: 2 }),
  models: [TOY_MODEL],
  tolerance: 1e-4,
  backend: "ort-web",
  threads: 2,
});
