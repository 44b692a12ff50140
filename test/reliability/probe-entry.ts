// The real Worker (worker/index.ts) behind one extra route for tests: GET /__probe/memory answers the sizes of
// the WebAssembly memories the Worker created (wasm-memory-probe.ts, imported first so that it sees them all)
// plus photon's. Every other request goes to the Worker untouched, with its own bindings.
import { wasmMemorySizes } from "./wasm-memory-probe";
import worker, { type Env } from "../../worker/index";
import { photonMemoryBytes } from "../../runtime/pixels";
import type { ExecutionContext } from "hono";

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/__probe/memory") {
      const photon = await photonMemoryBytes().catch(() => 0);
      return Response.json({ wasm: wasmMemorySizes(), photon });
    }
    return worker.fetch(request, env, ctx);
  },
};
