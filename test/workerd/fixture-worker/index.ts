// A minimal test Worker: the engine layer inside workerd. onnxruntime-web's binary is imported as a module
// (a precompiled WebAssembly.Module: workerd cannot compile from bytes) and handed to runtime/ort-env.ts;
// model files come from an R2 bucket the test seeds. Not the API Worker (worker/), only a probe.
//
//   POST /session?model=<prefix>&graph=<path>   body: float32 input "x" → float32 output "y" (one-graph probe)
//   POST /florence?model=<prefix>&size=<px>&prompt=<ids>&tokens=<a,b,c>   body: float32 pixel_values
//        → JSON { features, hidden, logits: [step1, step2 (2 rows), step3 (2 rows)] }
// Responses carry x-init-ms (session/engine creation in this request, 0 when reused) and x-run-ms.
import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import {
  createOrtWebEngine,
  createWebSession,
  loadOnnxBytes,
  type Florence2Engine,
  type LoadFile,
} from "../../../runtime/engine";
import { configureOrtWeb } from "../../../runtime/ort-env";

/** The part of an R2 binding this Worker uses (kept local so the fixture needs no workers-types). */
interface Bucket {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}
interface Env {
  MODELS: Bucket;
}

const settings = { numThreads: 1, wasmModule: ortWasm }; // workerd: no Web Workers, so exactly one thread

function r2Loader(bucket: Bucket, prefix: string): LoadFile {
  return async (path) => {
    const obj = await bucket.get(`${prefix}/${path}`);
    if (!obj) throw new Error(`R2 object ${prefix}/${path} not found`);
    return new Uint8Array(await obj.arrayBuffer());
  };
}

// Per-isolate caches: creating sessions is the expensive part, and later requests reuse them.
const sessions = new Map<string, Promise<ort.InferenceSession>>();
const engines = new Map<string, Promise<Florence2Engine>>();

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
}

async function runSession(req: Request, env: Env, url: URL): Promise<Response> {
  const prefix = url.searchParams.get("model") ?? "";
  const graph = url.searchParams.get("graph") ?? "";
  const key = `${prefix}/${graph}`;
  const cached = sessions.has(key);
  const [session, initMs] = await timed(() => {
    if (!cached) {
      configureOrtWeb(ort, settings);
      sessions.set(
        key,
        loadOnnxBytes(graph, r2Loader(env.MODELS, prefix)).then((g) => createWebSession(ort, g)),
      );
    }
    return sessions.get(key)!;
  });
  const x = new Float32Array(await req.arrayBuffer());
  const dims = (session.inputMetadata[0] as { shape: readonly (number | string)[] }).shape.map(Number);
  const [out, runMs] = await timed(() => session.run({ x: new ort.Tensor("float32", x, dims) }));
  const y = out.y!.data as Float32Array;
  return new Response(y.slice().buffer, {
    headers: { "x-init-ms": String(cached ? 0 : initMs), "x-run-ms": String(runMs) },
  });
}

const ids = (s: string | null) => (s ?? "").split(",").filter(Boolean).map(Number);

async function runFlorence(req: Request, env: Env, url: URL): Promise<Response> {
  const prefix = url.searchParams.get("model") ?? "";
  const size = Number(url.searchParams.get("size"));
  const [a, b, c] = ids(url.searchParams.get("tokens"));
  const cached = engines.has(prefix);
  const [engine, initMs] = await timed(() => {
    if (!cached)
      engines.set(prefix, createOrtWebEngine({ ...settings, loadFile: r2Loader(env.MODELS, prefix) }));
    return engines.get(prefix)!;
  });
  const pixels = new Float32Array(await req.arrayBuffer());
  const [result, runMs] = await timed(async () => {
    const d = engine.info.dModel;
    const features = await engine.encodeImage(pixels, [1, 3, size, size]);
    const prompt = await engine.embedTokens(ids(url.searchParams.get("prompt")));
    const embeds = new Float32Array(features.length + prompt.length);
    embeds.set(features);
    embeds.set(prompt, features.length);
    const seqLen = embeds.length / d;
    const mask = new BigInt64Array(seqLen).fill(1n);
    const hidden = await engine.encode(embeds, mask, seqLen);
    // Two beams: start token on one row, fan out, different tokens, then both continue beam 1.
    const dec = await engine.startDecoder(hidden, mask, seqLen);
    const logits = [Array.from(await dec.step([2]))];
    dec.reorder([0, 0]);
    logits.push(Array.from(await dec.step([a!, b!])));
    dec.reorder([1, 1]);
    logits.push(Array.from(await dec.step([c!, c!])));
    dec.dispose();
    return { info: engine.info, features: Array.from(features), hidden: Array.from(hidden), logits };
  });
  return Response.json(result, {
    headers: { "x-init-ms": String(cached ? 0 : initMs), "x-run-ms": String(runMs) },
  });
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/session") return await runSession(req, env, url);
      if (url.pathname === "/florence") return await runFlorence(req, env, url);
      return new Response("not found", { status: 404 });
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
};
