// Builds the base-preset vision_encoder.onnx once, writes it to a temp folder and runs it with onnxruntime-node
// on one 768×768 image; prints build time, file size (vs the published 367 MB), peak RSS and run time.
// `npm run model:vision-check [-- --keep]` (the file is deleted afterwards unless --keep).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Random, writeModel } from "../../onnx-graph";
import { PRESETS } from "../presets";
import { buildVisionEncoder } from "../vision-encoder";

const MB = 1e6;
const rssMB = () => (process.resourceUsage().maxRSS * 1024) / MB;

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const dir = mkdtempSync(join(tmpdir(), "vision-base-"));
  const path = join(dir, "vision_encoder.onnx");

  let t = performance.now();
  const buildCpu = process.cpuUsage();
  const built = buildVisionEncoder(PRESETS.base, new Random(0));
  const buildMs = performance.now() - t;
  const buildUsage = process.cpuUsage(buildCpu);
  const buildCpuS = (buildUsage.user + buildUsage.system) / 1e6;
  const { params, elements } = built.stats;
  const nodes = built.model.graph!.node.length;
  t = performance.now();
  writeModel(path, built.model);
  const writeMs = performance.now() - t;
  const bytes = statSync(path).size;
  const rssAfterWrite = rssMB();

  t = performance.now();
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 2 });
  const loadMs = performance.now() - t;
  const x = new Random(1).normalArray(3 * 768 * 768, 1);
  const feeds = { pixel_values: new ort.Tensor("float32", x, [1, 3, 768, 768]) };
  // Wall time depends on what else the machine runs; process CPU time (all ORT threads) does not.
  const runs: string[] = [];
  let out: ort.Tensor | undefined;
  for (let i = 0; i < 2; i++) {
    t = performance.now();
    const cpu = process.cpuUsage();
    out = (await session.run(feeds)).image_features;
    const c = process.cpuUsage(cpu);
    runs.push(`${((performance.now() - t) / 1000).toFixed(2)} s wall / ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`);
  }
  await session.release();
  const data = out!.data as Float32Array;
  const finite = data.every(Number.isFinite);
  // Mean over channels of the std across tokens: how different the 577 tokens are (LayerNorm makes each ≈ unit).
  const [, tokens = 0, dim = 0] = out!.dims;
  let spread = 0;
  for (let k = 0; k < dim; k++) {
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < tokens; i++) {
      const v = data[i * dim + k]!;
      m += v;
      m2 += v * v;
    }
    spread += Math.sqrt(Math.max(0, m2 / tokens - (m / tokens) ** 2));
  }
  spread /= dim;

  console.log(`base vision_encoder: ${params.toLocaleString("en")} learned params (${elements.toLocaleString("en")} initializer elements), ${nodes} nodes`);
  console.log(`build ${(buildMs / 1000).toFixed(1)} s (${buildCpuS.toFixed(1)} s CPU), write ${(writeMs / 1000).toFixed(1)} s`);
  console.log(`file ${(bytes / MB).toFixed(2)} MB (published fp32: 367 MB; params alone ${((params * 4) / MB).toFixed(2)} MB)`);
  console.log(`peak RSS after build+write ${rssAfterWrite.toFixed(0)} MB, overall ${rssMB().toFixed(0)} MB`);
  console.log(`onnxruntime-node (2 threads): load ${(loadMs / 1000).toFixed(1)} s, run 768×768: ${runs.join("; ")}`);
  console.log(`image_features [${out!.dims.join(", ")}], finite: ${finite}, token spread ${spread.toFixed(3)}`);
  if (keep) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true });
  if (params !== 91_207_168 || !finite || out!.dims[1] !== 577) process.exitCode = 1;
}

await main();
