// The workerd entry: bindings → the platform-neutral app. The model folder is read from the R2 bucket MODEL
// (under MODEL_PREFIX), image features and results are cached in the Cache API (per location) in front of
// the KV namespace FEATURES, and both WebAssembly binaries (onnxruntime-web, photon) are imported as modules,
// i.e. precompiled by the platform. One app per isolate, built on the first request (env is only known then).
import type { ExecutionContext } from "hono";
// photon's workerd entry imports its .wasm itself (a relative import inside the package) and re-exports the
// compiled module. onnxruntime-web's binary is imported by a path relative to this file on purpose:
// wrangler's module collector fails on package-exported .wasm specifiers ("onnxruntime-web/ort-wasm-simd-
// threaded.wasm" → ENOENT under worker/), while a relative path works in wrangler and in any esbuild bundle.
import { photonWasmModule } from "@cf-wasm/photon/workerd";
import ortWasm from "../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import { createOrtWebEngine } from "../runtime/engine/ort-web";
import type { LoadFile } from "../runtime/engine/model-files";
import { readModelFolder } from "../runtime/model-folder";
import { installPhoton } from "../runtime/pixels";
import { createApp, type AppType } from "./app";
import type { ByteStore } from "./cache/byte-store";
import { CacheApiStore, defaultEdgeCache } from "./cache/cache-api-store";
import { KvStore, type KvNamespaceLike } from "./cache/kv-store";
import { configFromVars } from "./config";
import { ModelFileMissing, ModelProvider } from "./model-provider";
import { createRpcStagedEngine } from "./staged/engine";
import { StageCallReporter } from "./staged/report";
import type { RpcStageRunner } from "./staged/rpc-runner";

/** The parts of the R2 and rate-limit bindings used here (no workers-types needed). */
interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}
interface RateLimiterLike {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface Env {
  MODEL: R2BucketLike;
  FEATURES?: KvNamespaceLike;
  RATE_LIMITER?: RateLimiterLike;
  /** Key prefix of the model folder in MODEL, e.g. "florence-2-base-ft/" (default: bucket root). */
  MODEL_PREFIX?: string;
  /** Graph file variant, as transformers.js names them: "" (fp32), "_quantized", "_fp16"... */
  MODEL_SUFFIX?: string;
  /**
   * "single" (default): the four graphs in this Worker. "staged": MODEL_PREFIX holds a split model
   * (model-splitter/), whose stages run in stage Workers reached through the bindings STAGE_<ID> and
   * STAGE_OBJ_<ID> (stage-worker/, worker/staged/).
   */
  MODEL_LAYOUT?: string;
  /** Durable Object instances per decoder-side stage (staged layout; default 8). */
  STAGE_OBJECT_POOL?: string;
  /** Milliseconds a stage call may take before the request fails with 503 naming the stage (default 60000). */
  STAGE_CALL_TIMEOUT_MS?: string;
  /** Limits, defaults, CORS and cache settings: see worker/config.ts and worker/README.md. */
  [variable: string]: unknown;
}

function r2Loader(bucket: R2BucketLike, prefix: string): LoadFile {
  return async (path) => {
    const object = await bucket.get(prefix + path);
    if (!object) throw new ModelFileMissing(prefix + path, "the MODEL bucket");
    return new Uint8Array(await object.arrayBuffer());
  };
}

function buildApp(env: Env): AppType {
  installPhoton(photonWasmModule);
  const config = configFromVars(env);
  const prefix = typeof env.MODEL_PREFIX === "string" ? env.MODEL_PREFIX : "";
  const loadFile = r2Loader(env.MODEL, prefix);
  const staged = env.MODEL_LAYOUT === "staged";
  if (staged) reporter = new StageCallReporter(() => stageRunner?.calls);
  const model = new ModelProvider({
    loadFolder: () => readModelFolder(loadFile, prefix.replace(/\/$/, "") || "florence-2"),
    loadEngine: staged
      ? async () => {
          const s = await createRpcStagedEngine(env, loadFile, {
            objectPool: Number(env.STAGE_OBJECT_POOL ?? 8),
            callTimeoutMs: env.STAGE_CALL_TIMEOUT_MS ? Number(env.STAGE_CALL_TIMEOUT_MS) : undefined,
          });
          stageRunner = s.runner;
          return s.engine;
        }
      : // workerd has no Web Workers, hence one WASM thread.
        () =>
          createOrtWebEngine({
            loadFile,
            numThreads: 1,
            wasmModule: ortWasm,
            suffix: env.MODEL_SUFFIX ?? "",
          }),
  });
  const levels: ByteStore[] = [];
  const edge = defaultEdgeCache();
  if (edge) levels.push(new CacheApiStore(edge));
  if (env.FEATURES) levels.push(new KvStore(env.FEATURES));
  const limiter = env.RATE_LIMITER;
  return createApp({
    config,
    model,
    featureLevels: levels,
    resultLevels: levels,
    fetch: (input, init) => fetch(input, init),
    rateLimit: limiter ? async (key) => (await limiter.limit({ key })).success : undefined,
  });
}

let app: AppType | undefined;
/** Staged layout only: the runner (once the engine is loaded) and the per-request report of its calls. */
let stageRunner: RpcStageRunner | undefined;
let reporter: StageCallReporter | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const current = (app ??= buildApp(env));
    if (reporter) return reporter.wrap(request, async () => current.fetch(request, env, ctx));
    return current.fetch(request, env, ctx);
  },
};
