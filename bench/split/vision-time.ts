// Where the staged vision encoder spends its time: runs a split model's vision stages in one process on
// onnxruntime-web as the Worker runs it (WASM bundle, one thread, precompiled module), each stage's sessions
// created up front, several times on one image, and prints per stage and per step (graph or band pass) the
// wall time of the last run (the first ones warm the sessions and grow WASM memory). With --model it also
// times the unsplit vision encoder and compares image_features (max |difference|, cosine).
//   npx tsx bench/split/vision-time.ts --split DIR [--model DIR] [--image page.png] [--runs 2] [--steps] [--first N]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { photonWasmModule } from "@cf-wasm/photon/node";
import { Command } from "commander";
import { stagesOf, type Step } from "../../model-splitter/manifest";
import { readManifest } from "../../runtime/engine/staged";
import { LocalStageRunner } from "../../runtime/engine/staged/local-runner";
import { webSessionHost } from "../../runtime/engine/staged/session-host";
import { floatsOf } from "../../runtime/engine/staged/tensors";
import { configureOrtWeb } from "../../runtime/ort-env";
import { imageToPixelValues, installPhoton } from "../../runtime/pixels";
import { compileOrtWasm, createOrtWebNodeEngine, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";
import { runStagesOnce } from "./run-stages";

const IMAGES = join(import.meta.dirname, "../../test/fixtures/images/skimage");

function compare(a: Float32Array, b: Float32Array): { maxDiff: number; cosine: number } {
  let m = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return { maxDiff: a.length === b.length ? m : Infinity, cosine: dot / Math.sqrt(na * nb) };
}

async function main(o: {
  split: string;
  model?: string;
  image: string;
  runs: string;
  steps: boolean;
  first?: string;
}) {
  installPhoton(photonWasmModule);
  const ort = await loadOrtWeb("wasm");
  const wasmModule = await compileOrtWasm();
  configureOrtWeb(ort, { numThreads: 1, wasmModule });
  const manifest = await readManifest(fileLoader(o.split));
  const bytes = readFileSync(o.image.includes("/") ? o.image : join(IMAGES, o.image));
  const px = await imageToPixelValues(bytes, { size: manifest.limits.imageSize });

  let stepT = performance.now();
  const stepMs: { stage: string; step: Step; ms: number }[] = [];
  let current = "";
  const runner = new LocalStageRunner(manifest, webSessionHost(ort, fileLoader(o.split)), (step) => {
    const now = performance.now();
    stepMs.push({ stage: current, step, ms: now - stepT });
    stepT = now;
  });
  const all = stagesOf(manifest, "vision");
  const stages = o.first ? all.slice(0, Number(o.first)) : all;
  for (const s of stages) await runner.prepare(s);
  let features: Float32Array | undefined;
  let perStage: { id: string; ms: number }[] = [];
  let total = 0;
  let cpu = 0;
  for (let run = 0; run < Number(o.runs); run++) {
    stepMs.length = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const pass = await runStagesOnce(runner, stages, px, (stage) => {
      current = stage.id;
      stepT = performance.now();
    });
    const env = pass.env;
    perStage = stages.map((s, i) => ({ id: s.id, ms: pass.ms[i]! }));
    total = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1000;
    if (stages.length === all.length) features = floatsOf(env.get("image_features"), "image_features");
    process.stderr.write(`run ${run}: ${total.toFixed(0)} ms (CPU ${cpu.toFixed(0)} ms)\n`);
  }
  await runner.release();
  const lines = [
    `vision stages: ${stages.length}, last run ${total.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU`,
    "",
    "| stage | ms |",
    "|---|---:|",
  ];
  for (const s of perStage) lines.push(`| ${s.id} | ${s.ms.toFixed(0)} |`);
  if (o.steps) {
    lines.push("", "| stage | step | bands | ms |", "|---|---|---:|---:|");
    for (const s of stepMs)
      lines.push(
        `| ${s.stage} | ${s.step.graph} | ${s.step.kind === "band" ? s.step.bands.length : ""} | ${s.ms.toFixed(0)} |`,
      );
  }
  if (o.model && features) {
    const whole = await createOrtWebNodeEngine({
      modelDir: o.model,
      build: "wasm",
      precompiled: true,
      numThreads: 1,
    });
    let ref: Float32Array | undefined;
    let ms = 0;
    for (let run = 0; run < Number(o.runs); run++) {
      const t = performance.now();
      ref = await whole.encodeImage(px.pixelValues, px.dims);
      ms = performance.now() - t;
    }
    await whole.release();
    const c = compare(ref!, features!);
    lines.push(
      "",
      `unsplit vision: ${ms.toFixed(0)} ms; image_features max |diff| ${c.maxDiff.toExponential(2)}, cosine ${c.cosine.toFixed(8)}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await new Command()
  .requiredOption("--split <dir>", "the split folder")
  .option("--model <dir>", "the unsplit model folder (times it and compares image_features)")
  .option("--image <file>", "image (a file in test/fixtures/images/skimage or a path)", "page.png")
  .option("--runs <n>", "runs (the last is reported)", "2")
  .option("--steps", "per-step times", false)
  .option("--first <n>", "only the first n vision stages (no comparison)")
  .action(main)
  .parseAsync();
