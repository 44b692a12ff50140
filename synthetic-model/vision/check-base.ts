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

/** Builds and writes in its own scope so that the JS copy of the weights can be collected before ORT loads. */
function buildAndWrite(path: string) {
  let t = performance.now();
  const cpu = process.cpuUsage();
  const built = buildVisionEncoder(PRESETS.base, new Random(0));
  const buildMs = performance.now() - t;
  const usage = process.cpuUsage(cpu);
  t = performance.now();
  writeModel(path, built.model);
  return {
    ...built.stats,
    nodes: built.model.graph!.node.length,
    buildMs,
    buildCpuS: (usage.user + usage.system) / 1e6,
    writeMs: performance.now() - t,
    bytes: statSync(path).size,
  };
}

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const dir = mkdtempSync(join(tmpdir(), "vision-base-"));
  const path = join(dir, "vision_encoder.onnx");

  const b = buildAndWrite(path);
  const rssAfterWrite = rssMB();

  let t = performance.now();
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
    runs.push(
      `${((performance.now() - t) / 1000).toFixed(2)} s wall / ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`,
    );
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

  console.log(
    `base vision_encoder: ${b.params.toLocaleString("en")} learned params (${b.elements.toLocaleString("en")} initializer elements), ${b.nodes} nodes`,
  );
  console.log(
    `build ${(b.buildMs / 1000).toFixed(1)} s (${b.buildCpuS.toFixed(1)} s CPU), write ${(b.writeMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `file ${(b.bytes / MB).toFixed(2)} MB (published fp32: 367 MB; params alone ${((b.params * 4) / MB).toFixed(2)} MB)`,
  );
  console.log(`peak RSS after build+write ${rssAfterWrite.toFixed(0)} MB, overall ${rssMB().toFixed(0)} MB`);
  console.log(
    `onnxruntime-node (2 threads): load ${(loadMs / 1000).toFixed(1)} s, run 768×768: ${runs.join("; ")}`,
  );
  console.log(
    `image_features [${out!.dims.join(", ")}], finite: ${finite}, token spread ${spread.toFixed(3)}`,
  );
  if (keep) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true });
  if (b.params !== 91_207_168 || !finite || out!.dims[1] !== 577) process.exitCode = 1;
}

await main();
