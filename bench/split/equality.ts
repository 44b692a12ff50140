// Acceptance of a split model against the model it was cut from: image features, prompt embeddings, encoder
// states (max |difference|) and generated tokens (identical?) on several images and tasks, both engines on
// onnxruntime-web as the Worker runs it (WASM bundle, one thread, precompiled module).
//   npx tsx bench/split/equality.ts --model DIR --split DIR [--images a.png,b.png] [--tasks <OD>,<CAPTION>]
//     [--max-new-tokens 40] [--beams 3]
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { photonWasmModule } from "@cf-wasm/photon/node";
import { Command } from "commander";
import { createStagedWebEngine } from "../../runtime/engine/staged";
import type { Florence2Engine } from "../../runtime/engine/types";
import { readModelFolder } from "../../runtime/model-folder";
import { Florence2 } from "../../runtime/pipeline";
import { imageToPixelValues, installPhoton } from "../../runtime/pixels";
import { buildPrompt, resolveTask } from "../../runtime/prompt";
import { compileOrtWasm, createOrtWebNodeEngine, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";

const IMAGES = join(import.meta.dirname, "../../test/fixtures/images/skimage");

interface Row {
  image: string;
  task: string;
  imageFeatures: number;
  embeddings: number;
  encoder: number;
  tokensEqual: boolean;
  tokens: number;
  wholeMs: number;
  splitMs: number;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function main(o: {
  model: string;
  split: string;
  images: string;
  tasks: string;
  maxNewTokens: string;
  beams: string;
}): Promise<void> {
  installPhoton(photonWasmModule);
  const ort = await loadOrtWeb("wasm");
  const wasmModule = await compileOrtWasm();
  const whole: Florence2Engine = await createOrtWebNodeEngine({
    modelDir: o.model,
    build: "wasm",
    precompiled: true,
    numThreads: 1,
  });
  const staged: Florence2Engine = await createStagedWebEngine({
    loadFile: fileLoader(o.split),
    ort,
    wasmModule,
    numThreads: 1,
  });
  const folder = await readModelFolder(fileLoader(o.model));
  const [pa, pb] = [
    new Florence2(whole, folder),
    new Florence2(staged, await readModelFolder(fileLoader(o.split))),
  ];
  const rows: Row[] = [];
  const gen = { numBeams: Number(o.beams), maxNewTokens: Number(o.maxNewTokens) };
  for (const file of o.images.split(",")) {
    const bytes = readFileSync(file.includes("/") ? file : join(IMAGES, file));
    const px = await imageToPixelValues(bytes, { size: folder.imageSize });
    let t = performance.now();
    const fa = await whole.encodeImage(px.pixelValues, px.dims);
    const tWhole = performance.now() - t;
    t = performance.now();
    const fb = await staged.encodeImage(px.pixelValues, px.dims);
    const tSplit = performance.now() - t;
    const featureDiff = maxDiff(fa, fb);
    for (const taskName of o.tasks.split(",")) {
      const task = resolveTask(taskName);
      const ids = folder.tokenizer.encodePrompt(
        buildPrompt(task, undefined, { width: px.width, height: px.height }),
      );
      const [ea, eb] = [await whole.embedTokens(ids), await staged.embedTokens(ids)];
      const d = whole.info.dModel;
      const S = fa.length / d + ids.length;
      const input = new Float32Array(S * d);
      input.set(fa);
      input.set(ea, fa.length);
      const mask = new BigInt64Array(S).fill(1n);
      const encoderDiff = maxDiff(await whole.encode(input, mask, S), await staged.encode(input, mask, S));
      const image = { tokens: fa.length / d, width: px.width, height: px.height };
      const ra = await pa.runOnFeatures({ ...image, features: fa }, { task, generation: gen });
      const rb = await pb.runOnFeatures({ ...image, features: fb }, { task, generation: gen });
      const row: Row = {
        image: basename(file),
        task,
        imageFeatures: featureDiff,
        embeddings: maxDiff(ea, eb),
        encoder: encoderDiff,
        tokensEqual: ra.tokens.join() === rb.tokens.join(),
        tokens: ra.tokens.length,
        wholeMs: tWhole,
        splitMs: tSplit,
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
  await whole.release();
  await staged.release();
  const lines = [
    "| image | task | image_features max diff | embeddings | encoder states | tokens equal (n) | vision ms whole / split |",
    "|---|---|---:|---:|---:|---|---|",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.image} | ${r.task} | ${r.imageFeatures.toExponential(2)} | ${r.embeddings.toExponential(2)} | ${r.encoder.toExponential(2)} | ${r.tokensEqual ? "yes" : "NO"} (${r.tokens}) | ${r.wholeMs.toFixed(0)} / ${r.splitMs.toFixed(0)} |`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
  if (rows.some((r) => !r.tokensEqual || r.imageFeatures > 1e-5 || r.encoder > 1e-5 || r.embeddings > 1e-5))
    process.exitCode = 1;
}

await new Command()
  .requiredOption("--model <dir>", "the model folder that was split")
  .requiredOption("--split <dir>", "the split folder")
  .option(
    "--images <list>",
    "images (file names in test/fixtures/images/skimage or paths)",
    "coins.png,page.png,logo.png,ihc.png",
  )
  .option("--tasks <list>", "task tokens", "<CAPTION>,<OD>,<OCR>")
  .option("--max-new-tokens <n>", "tokens per answer", "40")
  .option("--beams <n>", "beams", "3")
  .action(main)
  .parseAsync();
