// Per-stage cold start and peak memory of the staged deployment. workerd reports no per-isolate memory, so
// these come from the model-splitter's probe (model-splitter/probe/): it loads each stage exactly as the stage
// Worker does (onnxruntime-web WASM, one thread, chunk files as external data, precompiled WASM module) in a
// fresh Node process and records WASM memory + live JS at their peaks, chunk load + session creation time and
// one run on the stage's largest planned input, in the split's manifest.json. This reads those records.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SplitManifest } from "../../model-splitter/manifest";
import type { EdgeStage } from "./types";

export interface EdgeStages {
  stages: EdgeStage[];
  /** Where the numbers come from (printed beside the table). */
  source: string;
  /** Stages the probe has not measured (their rows carry the estimate only). */
  unmeasured: string[];
}

export function readEdgeStages(splitDir: string): EdgeStages {
  const file = join(splitDir, "manifest.json");
  const m = JSON.parse(readFileSync(file, "utf8")) as SplitManifest;
  const stages = m.stages.map((s): EdgeStage => ({
    id: s.id,
    role: s.role,
    weightBytes: s.graphs.reduce((a, g) => a + g.weightBytes, 0),
    estimatedPeakBytes: s.estimate.peakBytes,
    ...(s.measured
      ? {
          coldStartMs: s.measured.createMs,
          runMs: s.measured.runMs,
          peakBytes: s.measured.peakBytes,
          wasmBytes: s.measured.wasmBytes,
          jsBytes: s.measured.jsBytes,
          scenario: s.measured.scenario,
        }
      : {}),
  }));
  const when = statSync(file).mtime.toISOString().slice(0, 16).replace("T", " ");
  return {
    stages,
    unmeasured: stages.filter((s) => s.peakBytes === undefined).map((s) => s.id),
    source:
      `npm run split:probe -- --dir ${splitDir} (Node, onnxruntime-web WASM, 1 thread, each stage alone in a fresh process, ` +
      `loaded as the stage Worker loads it; manifest.json written ${when} UTC): cold start = chunk read from local disk + ` +
      `session creation (WASM compile excluded), peak = WASM memory + live JS at their peaks`,
  };
}
