// What every generated config inherits from the single-Worker wrangler.toml at the repository root, read with
// wrangler's own parser so the two stay in step: compatibility date, module rules (precompiled .wasm), the
// API's [vars], its CPU limit, the model bucket and the features KV namespace.
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { REPO_ROOT } from "../../synthetic-model/generate";

export interface ModuleRule {
  type: string;
  globs: string[];
  fallthrough?: boolean;
}

export interface BaseConfig {
  compatibilityDate: string;
  rules: ModuleRule[];
  /** The API Worker's [vars] (MODEL_PREFIX is replaced by the split's prefix). */
  vars: Record<string, string>;
  cpuMs: number;
  /** R2 bucket of the MODEL binding. */
  bucketName: string;
  /** KV namespace id of the FEATURES binding (a local placeholder in wrangler.toml). */
  featuresKvId?: string;
}

export const BASE_CONFIG_PATH = join(REPO_ROOT, "wrangler.toml");

export function readBaseConfig(path: string = BASE_CONFIG_PATH): BaseConfig {
  // wrangler's published types leave these arrays loosely typed: name what is read.
  const c = unstable_readConfig({ config: path }) as unknown as {
    compatibility_date?: string;
    r2_buckets: { binding: string; bucket_name?: string }[];
    kv_namespaces: { binding: string; id?: string }[];
    rules: ModuleRule[];
    vars: Record<string, unknown>;
    limits?: { cpu_ms?: number };
  };
  if (!c.compatibility_date) throw new Error(`${path} has no compatibility_date`);
  const bucket = c.r2_buckets.find((b) => b.binding === "MODEL")?.bucket_name;
  if (!bucket) throw new Error(`${path} has no R2 bucket bound as MODEL`);
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.vars)) vars[k] = typeof v === "string" ? v : JSON.stringify(v);
  return {
    compatibilityDate: c.compatibility_date,
    rules: c.rules.map((r) => ({ type: r.type, globs: r.globs, fallthrough: r.fallthrough })),
    vars,
    cpuMs: c.limits?.cpu_ms ?? 30_000,
    bucketName: bucket,
    featuresKvId: c.kv_namespaces.find((k) => k.binding === "FEATURES")?.id,
  };
}
