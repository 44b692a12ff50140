// `npm run start:node`: serve the API and the demo page on http://localhost:8787 from Node (one process, no Workers).
//   tsx server-node/main.ts [--model DIR] [--port 8787] [--host 127.0.0.1] [--threads 2]
// Limits, CORS, API keys etc. come from the same environment variables as the Worker (worker/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { chooseModelDir } from "./model-dir";
import { startServer } from "./server";

function isSynthetic(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(dir, "florence_edge.json"), "utf8")) as { synthetic?: unknown })
        .synthetic === true
    );
  } catch {
    return false;
  }
}

const program = new Command()
  .name("florence-edge-server")
  .description("florence-edge API in Node (onnxruntime-web with WASM threads)")
  .option(
    "--model <dir>",
    "model folder (onnx-community layout); default $FLORENCE_MODEL_DIR, else a synthetic model",
  )
  .option("--port <n>", "port", process.env.PORT ?? "8787")
  .option("--host <name>", "interface to listen on", process.env.HOST ?? "127.0.0.1")
  .option("--threads <n>", "onnxruntime-web WASM threads", "2")
  .option("--no-warm", "load the model on the first request instead of at startup")
  .parse();

/** A random-weight model never emits its end token, so every answer would run to the 1024-token cap. */
const SYNTHETIC_MAX_NEW_TOKENS = "64";

const opts = program.opts<{ model?: string; port: string; host: string; threads: string; warm: boolean }>();
const choice = chooseModelDir(opts.model);
const synthetic = isSynthetic(choice.dir);
const vars: Record<string, string | undefined> = { ...process.env };
if (synthetic && vars.DEFAULT_MAX_NEW_TOKENS === undefined)
  vars.DEFAULT_MAX_NEW_TOKENS = SYNTHETIC_MAX_NEW_TOKENS;
const running = await startServer({
  modelDir: choice.dir,
  port: Number(opts.port),
  hostname: opts.host,
  threads: Number(opts.threads),
  vars,
});
console.log(
  `florence-edge listening on ${running.url} (demo page at /, API under /v1, OpenAPI at /openapi.json)`,
);
console.log(`model: ${choice.dir} (${choice.reason})`);

if (synthetic) {
  const metadata = await running.model.metadata().catch(() => undefined);
  console.warn(
    `WARNING: ${metadata?.id ?? choice.dir} is a SYNTHETIC model with random weights: the API works end to end, ` +
      `but captions, boxes and text are meaningless. Pass --model DIR (or FLORENCE_MODEL_DIR) for a real Florence-2 export. ` +
      `Its default max_new_tokens is ${vars.DEFAULT_MAX_NEW_TOKENS} (it never ends an answer by itself; set DEFAULT_MAX_NEW_TOKENS to change).`,
  );
}
if (opts.warm) {
  const t = performance.now();
  running.model.pipeline().then(
    () => console.log(`model loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`),
    () =>
      console.error("model failed to load; /v1 requests answer 503 model_unavailable until a retry succeeds"),
  );
}

// Stop taking requests and exit; do not wait on keep-alive connections or WASM worker threads.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    setTimeout(() => process.exit(0), 1000).unref();
    void running.close().then(() => process.exit(0));
  });
}
