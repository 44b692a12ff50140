// A second Worker in the same Miniflare that stands between the API Worker and its KV namespace: the API's
// FEATURES binding is a service binding to FaultyKv (Workers RPC), whose get/put pass through to a real local
// KV namespace (INNER) unless a fault is switched on. Faults are set through this Worker's fetch handler
// (POST /faults with JSON), so the API Worker runs its production code with no test switches of its own.
import { WorkerEntrypoint } from "cloudflare:workers";

interface KvLike {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { expirationTtl?: number }): Promise<void>;
}
interface Env {
  INNER: KvLike;
}

export type KvFault = "none" | "throw" | "hang";
export interface Faults {
  kvGet: KvFault;
  kvPut: KvFault;
}

let faults: Faults = { kvGet: "none", kvPut: "none" };
const calls = { get: 0, put: 0, failed: 0 };

/** Long enough to outlast the API's store timeout, short enough to end before the test file does. */
const HANG_MS = 20_000;

async function inject(fault: KvFault, op: string): Promise<void> {
  if (fault === "none") return;
  calls.failed++;
  if (fault === "throw") throw new Error(`KV ${op} failed (injected fault)`);
  await new Promise((resolve) => setTimeout(resolve, HANG_MS));
  throw new Error(`KV ${op} timed out (injected fault)`);
}

export class FaultyKv extends WorkerEntrypoint<Env> {
  async get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null> {
    calls.get++;
    await inject(faults.kvGet, "get");
    return this.env.INNER.get(key, type);
  }

  async put(
    key: string,
    value: ArrayBuffer | ArrayBufferView,
    options?: { expirationTtl?: number },
  ): Promise<void> {
    calls.put++;
    await inject(faults.kvPut, "put");
    await this.env.INNER.put(key, value, options);
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST")
      faults = { kvGet: "none", kvPut: "none", ...((await request.json()) as Partial<Faults>) };
    return Response.json({ faults, calls });
  },
};
