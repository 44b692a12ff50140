// `npm start`: from a fresh clone to the staged service on http://localhost:8787, every Worker in local workerd.
//   model (--model DIR | earlier choice | Hub download | synthetic fallback) → quantize (int8) → split (stages
//   that fit a Worker) → wrangler configs → local R2 → `wrangler dev` with every config → /healthz answers.
// Each step prints its time; outputs are keyed by their inputs and skipped when up to date. The Node server
// (one process, no Workers) is `npm run start:node`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { parseBytes } from "../model-splitter/split/options";
import { REPO_ROOT } from "../synthetic-model/generate";
import { readBaseConfig } from "./config/base-config";
import { generateConfigs } from "./config/generate";
import { writeConfigs } from "./config/render";
import { contentPrefix, modelObjects } from "./model-objects";
import { apiVarsFor, DEPLOY_STATE_ROOT, LOCAL_PERSIST_DIR, writeLastPrepared } from "./prepared";
import { captionCheck } from "./start/caption-check";
import { startDevServer, type DevServer } from "./start/dev-server";
import { loadLocalR2 } from "./start/local-r2";
import { prepareSplit } from "./start/prepare";
import { chooseSource } from "./start/source";
import { StepClock } from "./start/steps";

interface Options {
  model?: string;
  refetch: boolean;
  synthetic: boolean;
  syntheticPreset: "base" | "tiny";
  port: string;
  host: string;
  budget: number;
  chunk: number;
  prepareOnly: boolean;
  checkImage?: string;
  exitAfterCheck: boolean;
  readyTimeout: string;
}

const bytes = (v: string) => {
  try {
    return parseBytes(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

const program = new Command()
  .name("start")
  .description(
    "Prepare the model (download or synthesize, quantize, split) and run every Worker locally with wrangler dev",
  )
  .option("--model <dir>", "a local model folder (onnx-community layout) or an already split folder")
  .option("--refetch", "ask the Hub again even if an earlier start settled on a model", false)
  .option("--synthetic", "do not ask the Hub: serve the synthetic base model (random weights)", false)
  .addOption(
    new Option("--synthetic-preset <size>", "synthetic model size (tiny: a quick check of the chain)")
      .choices(["base", "tiny"])
      .default("base"),
  )
  .option("--port <n>", "API port", process.env.PORT ?? "8787")
  .option("--host <ip>", "interface to listen on", "127.0.0.1")
  .addOption(
    new Option("--budget <size>", "memory of one stage (Worker isolate)")
      .argParser(bytes)
      .default(128 * 2 ** 20, "128MiB"),
  )
  .addOption(
    new Option("--chunk <size>", "largest stored file (a KV value holds 25 MiB)")
      .argParser(bytes)
      .default(25 * 2 ** 20, "25MiB"),
  )
  .option("--prepare-only", "stop after loading local R2 (no wrangler dev)", false)
  .option(
    "--check-image <file>",
    "once up, send this image as a <CAPTION> request and print the answer and its time",
  )
  .option("--exit-after-check", "stop the Workers after --check-image (for measurements)", false)
  .option("--ready-timeout <s>", "seconds to wait for /healthz", "900")
  .addHelpText("after", "\nEnvironment: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE (model download); PORT.");

const LOCAL_DEPLOYMENT = "florence-edge";
const LOCAL_DIR = join(DEPLOY_STATE_ROOT, "local");

/** The --check-image bytes, read before any preparation so a wrong path fails in a second, not after minutes. */
function readCheckImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(
      `--check-image ${path}: cannot read it (${e instanceof Error ? e.message : String(e)}); give a path to an image file`,
      { cause: e },
    );
  }
}

async function main(o: Options): Promise<void> {
  const t0 = performance.now();
  const checkImage = o.checkImage ? readCheckImage(o.checkImage) : undefined;
  const clock = new StepClock();
  const src = await chooseSource(
    { model: o.model, refetch: o.refetch, synthetic: o.synthetic, syntheticPreset: o.syntheticPreset },
    clock,
  );
  const { splitDir, manifest } = await prepareSplit(src, { budget: o.budget, chunkBytes: o.chunk }, clock);
  if (!o.model)
    writeLastPrepared({
      source: { kind: src.kind, dir: src.dir, synthetic: src.synthetic },
      splitDir,
      at: new Date().toISOString(),
    });

  const base = readBaseConfig();
  const prefix = contentPrefix(manifest);
  const configs = await clock.run("generate wrangler configs", () => {
    const workers = generateConfigs(manifest, {
      deployment: LOCAL_DEPLOYMENT,
      store: { kind: "r2", bucket: base.bucketName },
      prefix,
      base,
      configDir: LOCAL_DIR,
      apiVars: apiVarsFor(splitDir),
    });
    const paths = writeConfigs(LOCAL_DIR, workers, [
      `Generated by npm start (deploy/start.ts) from ${splitDir}/manifest.json: do not edit.`,
    ]);
    const dos = workers.filter((w) => w.durableObject).length;
    return {
      value: paths,
      note: `${workers.length} Workers (${dos} stages as Durable Objects) in ${LOCAL_DIR}`,
    };
  });
  await clock.run("load the split model into local R2", async () => {
    const r = await loadLocalR2({
      persistDir: LOCAL_PERSIST_DIR,
      bucket: base.bucketName,
      objects: modelObjects(splitDir, manifest, prefix),
      configDir: join(LOCAL_DIR, "seed"),
      compatibilityDate: base.compatibilityDate,
      log: (l) => console.log(`  ${l}`),
    });
    const note = `${r.uploaded} objects (${(r.uploadedBytes / 2 ** 20).toFixed(1)} MiB) put, ${r.unchanged} already there; bucket ${base.bucketName}, prefix ${prefix}`;
    return { value: r, skipped: r.uploaded === 0, note };
  });
  if (o.prepareOnly) {
    finish(clock, t0);
    return;
  }

  const server: DevServer = await clock.run(
    `wrangler dev (${configs.stages.length + 1} Workers) until /healthz answers`,
    async () => ({
      value: await startDevServer({
        configs: [configs.api, ...configs.stages],
        persistDir: LOCAL_PERSIST_DIR,
        port: Number(o.port),
        host: o.host,
        cwd: REPO_ROOT,
        timeoutMs: Number(o.readyTimeout) * 1000,
      }),
    }),
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => server.stop());
  console.log(
    `\nflorence-edge (staged: ${manifest.stages.length} stage Workers + API) is up: ${server.url}  (demo page at /, API under /v1)`,
  );
  if (src.synthetic)
    console.warn(
      "WARNING: serving the SYNTHETIC base model (random weights): answers are noise, responses say model.synthetic: true.",
    );

  if (checkImage) {
    const image = checkImage;
    const check = await clock
      .run(`first /v1/analyze <CAPTION> on ${o.checkImage}`, async () => {
        const c = await captionCheck(server.url, image, 60 * 60_000);
        if (c.status !== 200) throw new Error(`HTTP ${c.status}: ${c.body.slice(0, 500)}`);
        return {
          value: c,
          note: `synthetic: ${c.synthetic}; caption ${JSON.stringify(c.caption?.slice(0, 60))}`,
        };
      })
      .catch((e: unknown) => {
        console.error(`caption check failed: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
    if (check?.timings) console.log(`  timings (ms): ${JSON.stringify(check.timings)}`);
    if (check?.stageCalls) console.log(`  stage calls: ${check.stageCalls}`);
  }
  finish(clock, t0);
  if (o.checkImage && o.exitAfterCheck) {
    server.stop();
    await server.exited;
    return;
  }
  process.exitCode = await server.exited;
}

function finish(clock: StepClock, t0: number): void {
  const total = (performance.now() - t0) / 1000;
  console.log(`\npreparation steps (total ${total.toFixed(1)} s):\n${clock.summary()}`);
  writeFileSync(
    join(LOCAL_DIR, "start-timings.json"),
    `${JSON.stringify({ at: new Date().toISOString(), total, steps: clock.timings }, null, 2)}\n`,
  );
}

program.parse();
main(program.opts<Options>()).catch((e: unknown) => {
  console.error(`start: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
