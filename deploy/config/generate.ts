// Wrangler configs of a staged deployment, generated from a split manifest: one Worker per stage (the same
// entry, stage-worker/index.ts, told which stage it is by STAGE_ID) and the API Worker (worker/index.ts with
// MODEL_LAYOUT=staged) bound to every stage. Binding names come from stage-worker/bindings.ts, the contract
// both sides read. The result is plain data; render.ts writes it as JSONC.
import { relative } from "node:path";
import type { SplitManifest, Stage } from "../../model-splitter/manifest";
import {
  isDecoderSide,
  STAGE_OBJECT_CLASS,
  stageBindingName,
  stageObjectBindingName,
} from "../../stage-worker/bindings";
import { callBudget } from "../../stage-worker/dev/call-budget";
import { REPO_ROOT } from "../../synthetic-model/generate";
import { apiWorkerName, checkDeploymentName, isValidWorkerName, stageWorkerName } from "../names";
import type { BaseConfig, ModuleRule } from "./base-config";

/**
 * Where the stage Workers read the split model: an R2 bucket (default) or a KV namespace. The API Worker reads
 * the manifest, tokenizer and configs from the R2 bucket in both cases (worker/index.ts).
 */
export type ModelStore = { kind: "r2"; bucket: string } | { kind: "kv"; namespaceId: string; bucket: string };

/** The subset of wrangler's config format these configs use (field names as wrangler spells them). */
export interface WranglerConfig {
  name: string;
  main: string;
  compatibility_date: string;
  rules: ModuleRule[];
  workers_dev?: boolean;
  preview_urls?: boolean;
  r2_buckets?: { binding: string; bucket_name: string }[];
  kv_namespaces?: { binding: string; id: string }[];
  services?: { binding: string; service: string }[];
  durable_objects?: { bindings: { name: string; class_name: string; script_name: string }[] };
  migrations?: { tag: string; new_sqlite_classes: string[] }[];
  vars: Record<string, string>;
  limits: { cpu_ms: number };
}

export interface GeneratedWorker {
  kind: "api" | "stage";
  /** Manifest stage id (stage Workers only). */
  stageId?: string;
  /** The stage runs as a Durable Object (per-token stages holding a request's caches). */
  durableObject: boolean;
  /** Config file name inside the config folder. */
  file: string;
  config: WranglerConfig;
}

export interface GenerateOptions {
  deployment: string;
  store: ModelStore;
  /** Key prefix of the split folder in the store (MODEL_PREFIX), ending in "/". */
  prefix: string;
  base: BaseConfig;
  /** Folder the configs are written to: `main` paths are relative to it. */
  configDir: string;
  /**
   * KV namespace of the API's feature/result cache; default the one in wrangler.toml (a local placeholder);
   * null: no FEATURES binding (the app then caches in the Cache API only).
   */
  featuresKvId?: string | null;
  /** Extra or overriding API vars (e.g. DEFAULT_MAX_NEW_TOKENS for a synthetic model). */
  apiVars?: Record<string, string>;
  /** CPU limit per invocation; default the base config's (wrangler.toml) for every Worker. */
  cpuMs?: number;
}

const API_ENTRY = "worker/index.ts";
const STAGE_ENTRY = "stage-worker/index.ts";

function entry(configDir: string, path: string): string {
  return relative(configDir, `${REPO_ROOT}/${path}`).split("\\").join("/");
}

function storeBindings(store: ModelStore): Pick<WranglerConfig, "r2_buckets" | "kv_namespaces"> {
  return store.kind === "r2"
    ? { r2_buckets: [{ binding: "MODEL", bucket_name: store.bucket }] }
    : { kv_namespaces: [{ binding: "MODEL_KV", id: store.namespaceId }] };
}

function stageConfig(stage: Stage, o: GenerateOptions, cpuMs: number): GeneratedWorker {
  const durableObject = isDecoderSide(stage);
  const config: WranglerConfig = {
    name: stageWorkerName(o.deployment, stage.id),
    main: entry(o.configDir, STAGE_ENTRY),
    compatibility_date: o.base.compatibilityDate,
    rules: o.base.rules,
    // Reached only through the API Worker's bindings: no public workers.dev route or preview URL.
    workers_dev: false,
    preview_urls: false,
    ...storeBindings(o.store),
    vars: { STAGE_ID: stage.id, MODEL_PREFIX: o.prefix, MODEL_STORE: o.store.kind },
    limits: { cpu_ms: cpuMs },
  };
  // SQLite-backed classes are the kind the free plan offers too; the stage keeps its caches in memory.
  if (durableObject) config.migrations = [{ tag: "v1", new_sqlite_classes: [STAGE_OBJECT_CLASS] }];
  return { kind: "stage", stageId: stage.id, durableObject, file: `stage-${stage.id}.jsonc`, config };
}

function apiConfig(
  m: SplitManifest,
  stages: GeneratedWorker[],
  o: GenerateOptions,
  cpuMs: number,
): GeneratedWorker {
  const featuresKvId = o.featuresKvId === undefined ? o.base.featuresKvId : o.featuresKvId;
  const byId = new Map(stages.map((s) => [s.stageId, s]));
  const objects = m.stages
    .filter((s) => byId.get(s.id)?.durableObject)
    .map((s) => ({
      name: stageObjectBindingName(s.id),
      class_name: STAGE_OBJECT_CLASS,
      script_name: byId.get(s.id)!.config.name,
    }));
  const config: WranglerConfig = {
    name: apiWorkerName(o.deployment),
    main: entry(o.configDir, API_ENTRY),
    compatibility_date: o.base.compatibilityDate,
    rules: o.base.rules,
    r2_buckets: [{ binding: "MODEL", bucket_name: o.store.bucket }],
    ...(featuresKvId ? { kv_namespaces: [{ binding: "FEATURES", id: featuresKvId }] } : {}),
    // Sequence stages are called through service bindings (WorkerEntrypoint RPC), decoder-side stages through
    // Durable Object bindings (worker/staged/rpc-runner.ts).
    services: m.stages
      .filter((s) => !byId.get(s.id)!.durableObject)
      .map((s) => ({ binding: stageBindingName(s.id), service: byId.get(s.id)!.config.name })),
    ...(objects.length > 0 ? { durable_objects: { bindings: objects } } : {}),
    vars: {
      ...o.base.vars,
      ...o.apiVars,
      MODEL_LAYOUT: "staged",
      MODEL_PREFIX: o.prefix,
    },
    limits: { cpu_ms: cpuMs },
  };
  return { kind: "api", durableObject: false, file: "api.jsonc", config };
}

/**
 * Cloudflare runs at most 32 Worker invocations chained from one request (REFERENCE.md §5): the API Worker
 * itself plus one service-binding call per vision and encoder stage on a feature-cache miss
 * (stage-worker/dev/call-budget.ts). Durable Object calls are subrequests, not invocations.
 */
export const MAX_WORKER_INVOCATIONS = 32;

/** Worker invocations of one feature-miss request: the API Worker and its service-binding calls. */
export function featureMissInvocations(m: SplitManifest): number {
  return 1 + callBudget(m, 0).serviceBinding.featureMiss;
}

/** Configs of every stage (manifest order) followed by the API Worker's; throws on an invalid name. */
export function generateConfigs(m: SplitManifest, o: GenerateOptions): GeneratedWorker[] {
  checkDeploymentName(o.deployment);
  if (!o.prefix.endsWith("/")) throw new Error(`model prefix "${o.prefix}" must end in "/"`);
  const cpuMs = o.cpuMs ?? o.base.cpuMs;
  const stages = m.stages.map((s) => stageConfig(s, o, cpuMs));
  const workers = [...stages, apiConfig(m, stages, o, cpuMs)];
  const seen = new Set<string>();
  for (const w of workers) {
    if (!isValidWorkerName(w.config.name)) {
      throw new Error(
        `Worker name "${w.config.name}" is not valid (lowercase letters, digits, dashes, ≤ 63 characters)`,
      );
    }
    if (seen.has(w.config.name)) throw new Error(`two Workers would be named "${w.config.name}"`);
    seen.add(w.config.name);
  }
  return workers;
}
