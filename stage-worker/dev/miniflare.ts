// A staged deployment on this machine: the API Worker (worker/index.ts, MODEL_LAYOUT=staged) and one stage
// Worker (stage-worker/index.ts) per stage of a split model, all in one Miniflare (one workerd process),
// wired as on Cloudflare: service bindings STAGE_<ID> for sequence stages, Durable Object namespaces
// STAGE_OBJ_<ID> (class StageObject of the stage's script) for decoder-side stages, one local R2 bucket (or
// KV namespace for the stage Workers) seeded with the split folder. Used by the tests (test/deploy/) and the
// end-to-end benchmark.
//
//   const d = await startStagedDeployment({ splitDir: "/tmp/split/tiny" });
//   const res = await d.fetch("/v1/analyze?task=<CAPTION>", { method: "POST", body: png });
//   await d.dispose();
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Miniflare, type WorkerOptions } from "miniflare";
import type { SplitManifest, Stage } from "../../model-splitter/manifest";
import { isDecoderSide, STAGE_OBJECT_CLASS, stageBindingName, stageObjectBindingName } from "../bindings";
import { bundleWorkerEntry, miniflareModules, type BundledWorker } from "./bundle";

const ROOT = join(import.meta.dirname, "..", "..");
export const API_ENTRY = join(ROOT, "worker", "index.ts");
export const STAGE_ENTRY = join(ROOT, "stage-worker", "index.ts");
/** Before 2026-08-04 nodejs_compat is off by default (onnxruntime-web would take its Node path). */
export const COMPATIBILITY_DATE = "2026-04-01";
export const API_WORKER_NAME = "api";

export interface StagedBundles {
  api: BundledWorker;
  stage: BundledWorker;
}

export interface StagedDeploymentOptions {
  /** The split model folder (model-splitter output: manifest.json, config files, stages/…). */
  splitDir: string;
  /** Where the stage Workers read their chunks: the R2 bucket MODEL (default) or the KV namespace MODEL_KV. */
  modelStore?: "r2" | "kv";
  /** Key prefix of the split folder in the store (default "model/"). */
  modelPrefix?: string;
  /** Extra vars of the API Worker (worker/config.ts), e.g. { MAX_IN_FLIGHT: "4" }. */
  vars?: Record<string, string>;
  /** Durable Object instances per decoder-side stage (API var STAGE_OBJECT_POOL). */
  objectPool?: number;
  /** Serve on this localhost port (default: a free one); `url` is where. */
  port?: number;
  /** Bundles from an earlier call (bundling takes ~1 s each). */
  bundles?: StagedBundles;
  /** Answers the API Worker's outgoing fetches (image_url); default: 599 "no internet". */
  outbound?: (request: Request) => Response | Promise<Response>;
}

export interface StagedDeployment {
  /** Base URL of the API Worker on localhost. */
  url: URL;
  /** Calls the API Worker (`path` like "/v1/analyze?task=…"). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Calls a stage Worker's fetch handler (GET / → its status and cold-start figures). */
  fetchStage(stageId: string, path?: string, init?: RequestInit): Promise<Response>;
  /** Writes an object into the store the stage Workers read (key relative to the split folder). */
  putModelFile(path: string, bytes: Uint8Array): Promise<void>;
  manifest: SplitManifest;
  /** Worker name of a stage, `stage-<id>` (the deployment name prefix of wrangler configs is left out). */
  stageWorkerName(stageId: string): string;
  bundles: StagedBundles;
  mf: Miniflare;
  /** Milliseconds from `new Miniflare` to ready, and to the store seeded. */
  startupMs: number;
  seedMs: number;
  dispose(): Promise<void>;
}

/** Bundles the API Worker and the stage Worker (once; pass the result to every deployment). */
export async function bundleStagedWorkers(): Promise<StagedBundles> {
  const [api, stage] = await Promise.all([bundleWorkerEntry(API_ENTRY), bundleWorkerEntry(STAGE_ENTRY)]);
  return { api, stage };
}

export function stageWorkerName(stageId: string): string {
  return `stage-${stageId}`;
}

/** Every file under `dir`, keyed by its path relative to `dir` ("/"-separated). */
export function folderFiles(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path).split("\\").join("/"), new Uint8Array(readFileSync(path)));
    }
  };
  walk(dir);
  return out;
}

function stageWorker(stage: Stage, bundle: BundledWorker, store: "r2" | "kv", prefix: string): WorkerOptions {
  return {
    name: stageWorkerName(stage.id),
    modules: miniflareModules(bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { STAGE_ID: stage.id, MODEL_PREFIX: prefix, MODEL_STORE: store },
    ...(store === "kv" ? { kvNamespaces: { MODEL_KV: "model-kv" } } : { r2Buckets: { MODEL: "model" } }),
    // The script defines the Durable Object class; only decoder-side stages are bound to it.
    ...(isDecoderSide(stage)
      ? { durableObjects: { [stageObjectBindingName(stage.id)]: STAGE_OBJECT_CLASS } }
      : {}),
  };
}

function apiWorker(
  manifest: SplitManifest,
  opts: StagedDeploymentOptions,
  bundle: BundledWorker,
  prefix: string,
): WorkerOptions {
  const serviceBindings: Record<string, string> = {};
  const durableObjects: Record<string, { className: string; scriptName: string }> = {};
  for (const stage of manifest.stages) {
    if (isDecoderSide(stage))
      durableObjects[stageObjectBindingName(stage.id)] = {
        className: STAGE_OBJECT_CLASS,
        scriptName: stageWorkerName(stage.id),
      };
    else serviceBindings[stageBindingName(stage.id)] = stageWorkerName(stage.id);
  }
  return {
    name: API_WORKER_NAME,
    modules: miniflareModules(bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: { MODEL: "model" },
    kvNamespaces: ["FEATURES"],
    cache: true,
    bindings: {
      MODEL_PREFIX: prefix,
      MODEL_LAYOUT: "staged",
      ...(opts.objectPool !== undefined ? { STAGE_OBJECT_POOL: String(opts.objectPool) } : {}),
      ...opts.vars,
    },
    serviceBindings,
    durableObjects,
    outboundService: (req: unknown) =>
      (opts.outbound
        ? opts.outbound(req as Request)
        : new Response("no internet here", { status: 599 })) as never,
  };
}

export async function startStagedDeployment(opts: StagedDeploymentOptions): Promise<StagedDeployment> {
  const store = opts.modelStore ?? "r2";
  const prefix = opts.modelPrefix ?? "model/";
  const files = folderFiles(opts.splitDir);
  const manifestBytes = files.get("manifest.json");
  if (!manifestBytes) throw new Error(`${opts.splitDir} has no manifest.json (not a split model folder)`);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as SplitManifest;
  const bundles = opts.bundles ?? (await bundleStagedWorkers());

  const t0 = performance.now();
  const mf = new Miniflare({
    port: opts.port ?? 0,
    workers: [
      apiWorker(manifest, opts, bundles.api, prefix),
      ...manifest.stages.map((s) => stageWorker(s, bundles.stage, store, prefix)),
    ],
  });
  try {
    const url = await mf.ready;
    const startupMs = performance.now() - t0;
    // The API Worker reads the manifest and config files from R2 in both modes; the stages read their store.
    const bucket = await mf.getR2Bucket("MODEL", API_WORKER_NAME);
    const kv =
      store === "kv"
        ? await mf.getKVNamespace("MODEL_KV", stageWorkerName(manifest.stages[0]!.id))
        : undefined;
    const putModelFile = async (path: string, bytes: Uint8Array) => {
      if (kv) await kv.put(prefix + path, bytes as never);
      else await bucket.put(prefix + path, bytes as never);
    };
    for (const [path, bytes] of files) {
      if (kv) await kv.put(prefix + path, bytes as never);
      await bucket.put(prefix + path, bytes as never);
    }
    const seedMs = performance.now() - t0 - startupMs;
    return {
      url,
      // Miniflare's fetch has its own (undici) Request/Response types; they are structurally the web ones.
      fetch: (path, init) =>
        mf.dispatchFetch(new URL(path, url), init as never) as unknown as Promise<Response>,
      fetchStage: async (stageId, path = "/", init) =>
        (await mf.getWorker(stageWorkerName(stageId))).fetch(
          `http://stage${path}`,
          init as never,
        ) as unknown as Promise<Response>,
      putModelFile,
      manifest,
      stageWorkerName,
      bundles,
      mf,
      startupMs,
      seedMs,
      dispose: () => mf.dispose(),
    };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}
