// The local deployment a load run talks to: the real Worker bundle (worker/index.ts) in workerd via Miniflare,
// listening on 127.0.0.1 only, R2 seeded with a model folder (the tiny synthetic model by default: it is what
// runs fast enough locally; its answers are noise, but deterministic noise, which is all a correctness check
// needs), local KV and the Cache API. Or an existing server given by URL, which must be on loopback.
import { Miniflare } from "miniflare";
import { cachedModelDir } from "../../synthetic-model/cache";
import { apiBundle } from "../../test/worker/miniflare-worker";
import { bundleModules, COMPATIBILITY_DATE, uploadFolder } from "../../test/workerd/harness";

export interface Deployment {
  url: string;
  /** What it is, for the report. */
  describe: string;
  close(): Promise<void>;
}

export function tinyModelDir(): string {
  return cachedModelDir({ preset: "tiny", seed: 0 });
}

/** A fresh Worker in workerd (empty caches) on 127.0.0.1, with the model folder in R2 and `vars` as its vars. */
export async function startLocalWorker(modelDir: string, vars: Record<string, string>): Promise<Deployment> {
  const bundle = await apiBundle();
  const mf = new Miniflare({
    modules: bundleModules(bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
    r2Buckets: ["MODEL"],
    kvNamespaces: ["FEATURES"],
    cache: true,
    bindings: { MODEL_PREFIX: "", ...vars },
    // No internet: the workload sends image bytes, never image_url.
    outboundService: () => new Response("no internet during load runs", { status: 599 }),
  });
  const url = await mf.ready;
  const bucket = await mf.getR2Bucket("MODEL");
  await uploadFolder(bucket, modelDir);
  const shown = Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return {
    url: url.origin,
    describe: `workerd (Miniflare ${COMPATIBILITY_DATE}) on ${url.origin}, ${shown}`,
    close: () => mf.dispose(),
  };
}

/** An already running server (wrangler dev, npm start): loopback only, this is not a tool for loading others' hosts. */
export function existingServer(raw: string): Deployment {
  const url = new URL(raw);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new Error(`--url must be a loopback address, not ${url.hostname}`);
  return { url: url.origin, describe: `existing server at ${url.origin}`, close: async () => {} };
}
