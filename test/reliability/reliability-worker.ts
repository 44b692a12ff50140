// The real API Worker in workerd (Miniflare) for the reliability tests, with what they need to watch and break
// it from outside:
//   - entry test/reliability/probe-entry.ts: the Worker untouched plus GET /__probe/memory (sizes of its
//     WebAssembly memories) and POST /__probe/cache-faults (makes `caches.default` throw: the Cache API is a
//     global, not a binding, so it is wrapped where the Worker's globals are);
//   - optionally FEATURES as a service binding to fault-bindings-worker.ts (KV get/put that throw or hang);
//   - optionally the V8 inspector, to read the isolate's JS heap after a full GC;
//   - R2 MODEL seeded with a model folder, the Cache API, a stand-in internet (outboundService).
import { createServer } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare, type WorkerOptions } from "miniflare";
import { WebSocket } from "undici";
import {
  bundleModules,
  bundleWorker,
  COMPATIBILITY_DATE,
  uploadFolder,
  type WorkerBundle,
} from "../workerd/harness";
import type { Faults } from "./fault-bindings-worker";

const PROBE_ENTRY = join(import.meta.dirname, "probe-entry.ts");
const FAULT_WORKER = join(import.meta.dirname, "fault-bindings-worker.ts");

let probeBundle: Promise<WorkerBundle> | undefined;
/** One esbuild run per test file. */
export function probeWorkerBundle(): Promise<WorkerBundle> {
  probeBundle ??= bundleWorker(PROBE_ENTRY);
  return probeBundle;
}

async function faultWorkerScript(): Promise<string> {
  const out = await build({
    entryPoints: [FAULT_WORKER],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:workers"],
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ReliabilityWorkerOptions {
  /** Model folder uploaded into R2 (omit: empty bucket). */
  modelDir?: string;
  vars?: Record<string, string>;
  outbound?: (request: Request) => Response | Promise<Response>;
  /** Route FEATURES through fault-bindings-worker.ts (default: a plain local KV namespace). */
  faultyKv?: boolean;
  /** Open the V8 inspector so that heap() works. */
  inspector?: boolean;
}

export interface WasmMemory {
  /** Every WebAssembly memory of the isolate (onnxruntime-web, photon), bytes, largest first. */
  wasm: number[];
  total: number;
}

export interface HeapUsage {
  /** V8 heap in use and ArrayBuffer backing stores (WASM memories excluded), bytes, after a full GC. */
  usedSize: number;
  backingStorageSize: number;
}

export interface ReliabilityWorker {
  mf: Miniflare;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  memory(): Promise<WasmMemory>;
  heap(): Promise<HeapUsage>;
  setKvFaults(faults: Partial<Faults>): Promise<{ calls: { get: number; put: number; failed: number } }>;
  setCacheFaults(on: boolean): Promise<void>;
  dispose(): Promise<void>;
}

/** A minimal Chrome DevTools Protocol client: one call at a time, events ignored. */
class Inspector {
  private next = 1;
  private readonly waiting = new Map<number, (v: Record<string, unknown>) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: unknown;
      };
      // workerd answers HeapProfiler.takeHeapSnapshot, after the last chunk, by echoing the request (no
      // `result`): any message with the call's id ends the call.
      const done = msg.id !== undefined ? this.waiting.get(msg.id) : undefined;
      if (done) {
        this.waiting.delete(msg.id!);
        done(msg.result ?? (msg.error !== undefined ? { error: msg.error } : {}));
      }
    });
  }

  static async connect(port: number, workerName: string): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      id: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((t) => t.id === `core:user:${workerName}`);
    if (!target)
      throw new Error(`no inspector target for ${workerName}: ${targets.map((t) => t.id).join(", ")}`);
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    return new Inspector(ws);
  }

  call(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`inspector ${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

const API = "api";
const FAULTS = "faults";

export async function startReliabilityWorker(
  opts: ReliabilityWorkerOptions = {},
): Promise<ReliabilityWorker> {
  const bundle = await probeWorkerBundle();
  const inspectorPort = opts.inspector ? await freePort() : undefined;
  const api: WorkerOptions = {
    name: API,
    modules: bundleModules(bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: ["MODEL"],
    cache: true,
    bindings: { MODEL_PREFIX: "", ...opts.vars },
    outboundService: (req: unknown) =>
      (opts.outbound
        ? opts.outbound(req as unknown as Request)
        : new Response("no internet in tests", { status: 599 })) as never,
    ...(opts.faultyKv
      ? { serviceBindings: { FEATURES: { name: FAULTS, entrypoint: "FaultyKv" } } }
      : { kvNamespaces: ["FEATURES"] }),
  };
  const workers: WorkerOptions[] = [api];
  if (opts.faultyKv) {
    workers.push({
      name: FAULTS,
      modules: [{ type: "ESModule", path: "faults.js", contents: await faultWorkerScript() }],
      compatibilityDate: COMPATIBILITY_DATE,
      kvNamespaces: { INNER: "features" },
    });
  }
  const mf = new Miniflare({ workers, ...(inspectorPort !== undefined ? { inspectorPort } : {}) });
  let inspector: Inspector | undefined;
  try {
    await mf.ready;
    if (opts.modelDir) {
      const bucket = await mf.getR2Bucket("MODEL", API);
      await uploadFolder(bucket, opts.modelDir);
    }
    if (inspectorPort !== undefined) inspector = await Inspector.connect(inspectorPort, API);
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  const fetchApi = (path: string, init?: RequestInit) =>
    mf.dispatchFetch(`http://api.test${path}`, init as never) as unknown as Promise<Response>;
  return {
    mf,
    fetch: fetchApi,
    async memory() {
      const body = (await (await fetchApi("/__probe/memory")).json()) as { wasm: number[] };
      return { wasm: body.wasm, total: body.wasm.reduce((a, b) => a + b, 0) };
    },
    async heap() {
      if (!inspector) throw new Error("start the worker with inspector: true");
      // workerd does not answer HeapProfiler.collectGarbage; a heap snapshot runs a full GC first.
      await inspector.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const usage = await inspector.call("Runtime.getHeapUsage");
      return { usedSize: Number(usage.usedSize), backingStorageSize: Number(usage.backingStorageSize ?? 0) };
    },
    async setKvFaults(faults) {
      if (!opts.faultyKv) throw new Error("start the worker with faultyKv: true");
      const worker = await mf.getWorker(FAULTS);
      const res = await worker.fetch("http://faults/", { method: "POST", body: JSON.stringify(faults) });
      return (await res.json()) as { calls: { get: number; put: number; failed: number } };
    },
    async setCacheFaults(on) {
      const res = await fetchApi("/__probe/cache-faults", { method: "POST", body: on ? "on" : "off" });
      if (!res.ok) throw new Error(`cache fault switch: ${res.status}`);
    },
    async dispose() {
      inspector?.close();
      await mf.dispose();
    },
  };
}
