// The onnxruntime-node engine against the conformance suite.
import { createOrtNodeEngine } from "../../runtime-node/engine-ort-node";
import { runEngineConformance } from "./engine.case";
import { TINY_MODEL, TOY_MODEL } from "./models";

runEngineConformance("ort-node engine, 1 thread", {
  makeEngine: (modelDir) => createOrtNodeEngine({ modelDir, threads: 1 }),
  models: [TOY_MODEL, TINY_MODEL],
  tolerance: 1e-5,
  backend: "ort-node",
  threads: 1,
});
