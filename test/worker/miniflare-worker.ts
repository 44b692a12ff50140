// The API Worker (worker/index.ts) inside workerd via Miniflare, with the bindings it has in production:
// R2 MODEL seeded with a model folder, KV FEATURES, the Cache API, optional rate limiter, vars/secrets, and a
// stand-in for the internet (outboundService) so image_url tests never leave the machine. Bundling is the
// shared harness's (test/workerd/harness.ts); only the Miniflare options differ.
import { join } from "node:path";
import { Miniflare } from "miniflare";
import {
  bundleModules,
  bundleWorker,
  COMPATIBILITY_DATE,
  uploadFolder,
  type WorkerBundle,
} from "../workerd/harness";

export const WORKER_ENTRY = join(import.meta.dirname, "..", "..", "worker", "index.ts");

export interface ApiWorkerOptions {
  /** Model folder on disk, uploaded into R2 under `modelPrefix` (omit for an empty bucket). */
  modelDir?: string;
  modelPrefix?: string;
  vars?: Record<string, string>;
  /** Requests per minute allowed by a RATE_LIMITER binding (omit: no binding). */
  rateLimit?: number;
  /** Answers the Worker's outgoing fetches (image_url). */
  outbound?: (request: Request) => Response | Promise<Response>;
  bundle?: WorkerBundle;
}

export interface ApiWorker {
  mf: Miniflare;
  bundle: WorkerBundle;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

let bundled: Promise<WorkerBundle> | undefined;
/** One esbuild run per test file. */
export function apiBundle(): Promise<WorkerBundle> {
  bundled ??= bundleWorker(WORKER_ENTRY);
  return bundled;
}

export async function startApiWorker(opts: ApiWorkerOptions = {}): Promise<ApiWorker> {
  const bundle = opts.bundle ?? (await apiBundle());
  const prefix = opts.modelPrefix ?? "";
  const mf = new Miniflare({
    modules: bundleModules(bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: ["MODEL"],
    kvNamespaces: ["FEATURES"],
    cache: true,
    bindings: { MODEL_PREFIX: prefix, ...opts.vars },
    ...(opts.rateLimit !== undefined
      ? { ratelimits: { RATE_LIMITER: { simple: { limit: opts.rateLimit, period: 60 as const } } } }
      : {}),
    outboundService: (req: unknown) =>
      (opts.outbound
        ? opts.outbound(req as unknown as Request)
        : new Response("no internet in tests", { status: 599 })) as never,
  });
  try {
    await mf.ready;
    if (opts.modelDir) {
      const bucket = await mf.getR2Bucket("MODEL");
      await uploadFolder(bucket, opts.modelDir, prefix);
    }
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  return {
    mf,
    bundle,
    fetch: (path, init) =>
      mf.dispatchFetch(`http://api.test${path}`, init as never) as unknown as Promise<Response>,
    dispose: () => mf.dispose(),
  };
}
