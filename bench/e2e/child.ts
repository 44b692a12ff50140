// One benchmark job in a fresh process (its own onnxruntime-web instance, thread count and WASM memory, which
// never shrinks): reads the job spec, runs it, writes the JobResult as JSON, samples the load average around it.
//   node --import tsx bench/e2e/child.ts --spec '<json>' --out FILE
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { ChildSpec } from "./plan";
import { runEdge } from "./run-edge";
import { runMatMulPeak } from "./run-matmul-peak";
import { runOurs } from "./run-ours";
import { runResultHit } from "./run-result-hit";
import { runTjsNode } from "./run-tjs-node";
import { runTjsWeb } from "./run-tjs-web";
import type { JobResult } from "./types";

async function run(spec: ChildSpec): Promise<JobResult> {
  const { job, modelDir, tokens, repeats } = spec;
  switch (job.kind) {
    case "ours":
      return runOurs({
        ...job,
        modelDir: modelDir!,
        tokens,
        misses: repeats.misses,
        extraHits: repeats.extraHits,
        beamRuns: repeats.beamRuns,
      });
    case "tjs-node":
      return runTjsNode({
        modelDir: modelDir!,
        weights: job.weights,
        tokens,
        runs: repeats.peerRuns,
        tasks: repeats.peerTasks,
      });
    case "tjs-web":
      return runTjsWeb({
        modelDir: modelDir!,
        weights: job.weights,
        threads: job.threads,
        tokens,
        runs: repeats.peerRuns,
        tasks: repeats.peerTasks,
      });
    case "result-hit":
      return runResultHit({
        modelDir: modelDir!,
        weights: job.weights,
        threads: job.threads,
        tokens,
        repeats: repeats.httpRepeats,
      });
    case "matmul-peak":
      return runMatMulPeak({
        threads: job.threads,
        when: job.when,
        shapes: spec.matmulShapes,
        quick: spec.quick,
      });
    case "edge":
      return runEdge({
        splitDir: modelDir,
        weights: job.weights,
        tokens,
        misses: repeats.misses,
        repeats: repeats.httpRepeats,
      });
  }
}

const at = (flag: string) => process.argv[process.argv.indexOf(flag) + 1]!;
const spec = JSON.parse(at("--spec")) as ChildSpec;
const before = loadavg()[0]!;
const result = await run(spec);
result.info.loadAvg = [before, loadavg()[0]!];
writeFileSync(at("--out"), JSON.stringify(result));
process.exit(0);
