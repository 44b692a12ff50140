// onnxruntime-web as workerd runs it: the WASM-only bundle (`onnxruntime-web/wasm`), one thread, and the
// binary handed over as a precompiled WebAssembly.Module through the instantiate hook in runtime/ort-env.ts.
import { createOrtWebNodeEngine } from "../../runtime-node/engine-ort-web-node";
import { runEngineConformance } from "./engine.case";
import { TINY_MODEL, TOY_MODEL } from "./models";

runEngineConformance("ort-web engine, wasm bundle, precompiled module, 1 thread", {
  makeEngine: (modelDir) =>
    createOrtWebNodeEngine({ modelDir, build: "wasm", precompiled: true, numThreads: 1 }),
  models: [TOY_MODEL, TINY_MODEL],
  tolerance: 1e-4,
  backend: "ort-web",
  threads: 1,
});
