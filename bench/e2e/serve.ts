// The API server for the result-hit measurement, as its own process: server-node's startServer (the Worker's
// Hono app in Node, onnxruntime-web with WASM threads, a folder cache) on an ephemeral loopback port, with a
// fresh cache folder, the model loaded before it says it is ready. Prints one JSON line {url} on stdout.
//   node --import tsx bench/e2e/serve.ts --model DIR --threads N --cache DIR
import { startServer } from "../../server-node/server";

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`missing ${name}`);
  return v;
}

const running = await startServer({
  modelDir: arg("--model"),
  threads: Number(arg("--threads")),
  cacheDir: arg("--cache"),
  port: 0,
  hostname: "127.0.0.1",
});
const t0 = performance.now();
await running.model.pipeline();
process.stdout.write(`${JSON.stringify({ url: running.url, loadMs: performance.now() - t0 })}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void running.close().then(() => process.exit(0)));
