// Where the edge shape's extra vision time goes: runs a split model's vision stages one by one in workerd (the
// staged deployment of stage-worker/dev/miniflare.ts, one isolate per stage) by calling each stage Worker's
// `run` over RPC from Node, and the same stages in this Node process (onnxruntime-web, one thread), and prints
// per stage the wall time of its last call (workerd: the same stage called again on the same input). The workerd
// figure includes the Node ↔ workerd transfer of the stage's input and output (Miniflare's RPC proxy: 0.1–0.3 s
// for 4.5 MiB in and out, measured), the in-process one does not. Each isolate has its own WebAssembly instance
// (Liftoff code until V8 has optimized the hot functions): its first two runs are slower (a stage-2 half-block
// in a fresh Node process: 0.9–1.5 s, 0.4–0.8 s, then 0.40–0.45 s); the third call (--rounds 3, the default) is
// the steady state.
//   npx tsx bench/split/workerd-stage-time.ts --split DIR [--image page.png] [--rounds 3]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { photonWasmModule } from "@cf-wasm/photon/node";
import { Command } from "commander";
import { stagesOf } from "../../model-splitter/manifest";
import { readManifest } from "../../runtime/engine/staged";
import { LocalStageRunner } from "../../runtime/engine/staged/local-runner";
import { webSessionHost } from "../../runtime/engine/staged/session-host";
import { floatTensor, pick } from "../../runtime/engine/staged/tensors";
import { configureOrtWeb } from "../../runtime/ort-env";
import { imageToPixelValues, installPhoton } from "../../runtime/pixels";
import { compileOrtWasm, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";
import { runStagesOnce } from "./run-stages";
import { startStagedDeployment } from "../../stage-worker/dev/miniflare";
import { fromWire, toWire, type WireTensors } from "../../stage-worker/wire";

const IMAGES = join(import.meta.dirname, "../../test/fixtures/images/skimage");

interface RpcStage {
  run(inputs: WireTensors): Promise<WireTensors>;
}

async function main(o: { split: string; image: string; rounds: string }) {
  installPhoton(photonWasmModule);
  const manifest = await readManifest(fileLoader(o.split));
  const stages = stagesOf(manifest, "vision");
  const bytes = readFileSync(o.image.includes("/") ? o.image : join(IMAGES, o.image));
  const px = await imageToPixelValues(bytes, { size: manifest.limits.imageSize });
  const rounds = Number(o.rounds);

  let local: number[] = [];
  const ort = await loadOrtWeb("wasm");
  configureOrtWeb(ort, { numThreads: 1, wasmModule: await compileOrtWasm() });
  const runner = new LocalStageRunner(manifest, webSessionHost(ort, fileLoader(o.split)));
  for (const s of stages) await runner.prepare(s);
  for (let r = 0; r < rounds; r++) local = (await runStagesOnce(runner, stages, px)).ms;
  await runner.release();

  // Each stage `rounds` times on the same input (the first call loads and warms it): the last is reported.
  const edge: number[] = [];
  const dep = await startStagedDeployment({ splitDir: o.split });
  try {
    const env: WireTensors = toWire(new Map([["pixel_values", floatTensor(px.pixelValues, [...px.dims])]]));
    for (const [i, stage] of stages.entries()) {
      const worker = (await dep.mf.getWorker(dep.stageWorkerName(stage.id))) as unknown as RpcStage;
      const inputs = toWire(
        pick(
          fromWire(env),
          stage.inputs.map((x) => x.name),
          stage.id,
        ),
      );
      let out: WireTensors = {};
      for (let r = 0; r < rounds; r++) {
        const t = performance.now();
        out = await worker.run(inputs);
        edge[i] = performance.now() - t;
      }
      // Copies: the RPC result's buffers belong to the proxy.
      for (const [k, t] of Object.entries(out))
        env[k] = { type: t.type, dims: [...t.dims], data: t.data.slice(0) };
      process.stderr.write(
        `${stage.id}: node ${local[i]!.toFixed(0)} ms, workerd ${edge[i]!.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await dep.dispose();
  }
  const lines = ["| stage | Node ms | workerd ms (RPC from Node) |", "|---|---:|---:|"];
  stages.forEach((s, i) => lines.push(`| ${s.id} | ${local[i]!.toFixed(0)} | ${edge[i]!.toFixed(0)} |`));
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0).toFixed(0);
  lines.push(`| total | ${sum(local)} | ${sum(edge)} |`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

await new Command()
  .requiredOption("--split <dir>", "the split folder")
  .option("--image <file>", "image (a file in test/fixtures/images/skimage or a path)", "page.png")
  .option("--rounds <n>", "rounds (the last is reported)", "3")
  .action(main)
  .parseAsync();
