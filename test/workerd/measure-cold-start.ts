// Cold start of the fixture Worker in workerd (Miniflare), by hand: npx tsx test/workerd/measure-cold-start.ts
// Reports the bundle size, the time until Miniflare is ready with and without onnxruntime-web in the bundle
// (the difference is mostly compiling the 14 MB .wasm module), and the first and second request on a
// MatMul model (the first one initialises onnxruntime-web and creates the session).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeMatMulChain } from "../engine/toy-matmul";
import { folderObjects, startWorker } from "./harness";

const ROUNDS = 3;
const dir = mkdtempSync(join(tmpdir(), "cold-start-"));
mkdirSync(join(dir, "onnx"));
const shape = { rows: 64, width: 256, layers: 2 };
writeMatMulChain(join(dir, "onnx", "mm.onnx"), shape);
const hello = join(dir, "hello.ts");
writeFileSync(hello, 'export default { fetch: () => new Response("ok") };\n');

for (let round = 0; round < ROUNDS; round++) {
  const baseline = await startWorker({ entry: hello });
  const t = performance.now();
  await (await baseline.fetch("/")).text();
  const helloFirst = performance.now() - t;
  await baseline.dispose();

  const w = await startWorker({
    entry: join(import.meta.dirname, "fixture-worker", "index.ts"),
    r2: { MODELS: folderObjects(dir, "mm") },
  });
  const requests: string[] = [];
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const res = await w.fetch("/session?model=mm&graph=onnx/mm.onnx", {
      method: "POST",
      body: new Float32Array(shape.rows * shape.width).buffer,
    });
    await res.arrayBuffer();
    requests.push(
      `${(performance.now() - t0).toFixed(0)} ms (init ${Number(res.headers.get("x-init-ms")).toFixed(0)}, run ${Number(res.headers.get("x-run-ms")).toFixed(0)})`,
    );
  }
  if (round === 0) {
    const gz = (b: Uint8Array | string) => gzipSync(b, { level: 9 }).length;
    const wasmGz = w.bundle.wasm.reduce((a, m) => a + gz(readFileSync(m.path)), 0);
    console.log(
      `bundle: JS ${w.bundle.sizes.js} B (${gz(w.bundle.js)} B gzip), wasm ${w.bundle.sizes.wasm} B (${wasmGz} B gzip), total ${w.bundle.sizes.total} B`,
    );
  }
  console.log(
    `round ${round}: ready — hello ${baseline.startupMs.toFixed(0)} ms (first fetch ${helloFirst.toFixed(0)} ms), ` +
      `ort fixture ${w.startupMs.toFixed(0)} ms; first request ${requests[0]}; second ${requests[1]}`,
  );
  await w.dispose();
}
