// onnxruntime-web's Node build with 2 WASM threads (worker_threads), the binary loaded by onnxruntime-web.
// The engine code is the same as in the single-thread run (ort-web-wasm.test.ts, which also covers the tiny
// synthetic model); only the onnxruntime-web build and thread pool differ, so the toy model suffices here and
// keeps this file fast.
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
