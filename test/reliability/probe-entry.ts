// The real Worker (worker/index.ts) behind two extra routes for tests; every other request goes to the Worker
// untouched, with its own bindings:
//   GET  /__probe/memory        sizes of the WebAssembly memories the Worker created (wasm-memory-probe.ts,
//                               imported first so that it sees them all)
//   POST /__probe/cache-faults  body "on"/"off": makes caches.default.match/put throw. The Cache API is a
//                               global, not a binding, so it is wrapped here, where the Worker's globals are.
import { wasmMemorySizes } from "./wasm-memory-probe";
import type { ExecutionContext } from "hono";
import worker, { type Env } from "../../worker/index";

let cacheFaults = false;
let cacheWrapped = false;

interface CacheLike {
  match(...args: unknown[]): Promise<unknown>;
  put(...args: unknown[]): Promise<unknown>;
}

function wrapEdgeCache(): void {
  if (cacheWrapped) return;
  cacheWrapped = true;
  const cache = (globalThis as unknown as { caches?: { default?: CacheLike } }).caches?.default;
  if (!cache) return;
  const match = cache.match.bind(cache);
  const put = cache.put.bind(cache);
  const fail = (op: string) => Promise.reject(new Error(`Cache API ${op} failed (injected fault)`));
  cache.match = (...args) => (cacheFaults ? fail("match") : match(...args));
  cache.put = (...args) => (cacheFaults ? fail("put") : put(...args));
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    wrapEdgeCache();
    const path = new URL(request.url).pathname;
    if (path === "/__probe/memory") return Response.json({ wasm: wasmMemorySizes() });
    if (path === "/__probe/cache-faults" && request.method === "POST") {
      cacheFaults = (await request.text()) === "on";
      return Response.json({ cacheFaults });
    }
    return worker.fetch(request, env, ctx);
  },
};
