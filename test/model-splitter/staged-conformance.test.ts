// The staged engine through the engine conformance suite (the same cases every engine passes, expected values
// from plain onnxruntime-node sessions): the tiny synthetic model split into many stages, banded vision,
// decoder pieces across stages, run by the in-process stage runner on onnxruntime-web.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultOptions } from "../../model-splitter/split/options";
import { splitModel } from "../../model-splitter/split/split";
import { createStagedWebEngine } from "../../runtime/engine/staged";
import { compileOrtWasm, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";
import { runEngineConformance } from "../engine/engine.case";
import { TINY_MODEL } from "../engine/models";

runEngineConformance("staged engine (split tiny model, onnxruntime-web)", {
  makeEngine: async (modelDir) => {
    const out = join(mkdtempSync(join(tmpdir(), "staged-conformance-")), "split");
    splitModel(
      modelDir,
      out,
      defaultOptions({
        budget: 24 * 2 ** 20,
        chunkBytes: 300 * 1024,
        pieceBytes: 60 * 1024,
        bandStages: 2,
        maxDecoderLength: 64,
      }),
    );
    return createStagedWebEngine({
      loadFile: fileLoader(out),
      ort: await loadOrtWeb("wasm"),
      wasmModule: await compileOrtWasm(),
      numThreads: 1,
    });
  },
  models: [TINY_MODEL],
  tolerance: 1e-4,
  backend: "staged",
  threads: 1,
});
