// The plan of `npm run deploy`: which model objects go up (and which are already there per the ledger), then
// which Workers are deployed in which order. Stages come before the API Worker: its service bindings and
// Durable Object bindings name the stage scripts, which must exist when it is deployed.
import type { GeneratedWorker, ModelStore } from "./config/generate";
import type { Ledger } from "./ledger";
import type { ModelObject } from "./model-objects";
import { planUploads, type UploadPlan } from "./upload-plan";

export interface WorkerStep {
  name: string;
  /** Config file passed to `wrangler deploy -c`. */
  configPath: string;
  kind: "api" | "stage";
  durableObject: boolean;
}

export interface DeployPlan {
  deployment: string;
  store: ModelStore;
  /** Ledger key of the store. */
  storeId: string;
  prefix: string;
  uploads: UploadPlan;
  workers: WorkerStep[];
}

export function storeId(store: ModelStore): string {
  return store.kind === "r2" ? `r2:${store.bucket}` : `kv:${store.namespaceId}`;
}

export interface PlanInput {
  deployment: string;
  store: ModelStore;
  prefix: string;
  objects: ModelObject[];
  ledger: Ledger;
  workers: GeneratedWorker[];
  /** Config file path of each generated Worker (same order). */
  configPaths: string[];
  force?: boolean;
}

export function planDeployment(i: PlanInput): DeployPlan {
  const id = storeId(i.store);
  const steps = i.workers.map((w, k) => ({
    name: w.config.name,
    configPath: i.configPaths[k]!,
    kind: w.kind,
    durableObject: w.durableObject,
  }));
  return {
    deployment: i.deployment,
    store: i.store,
    storeId: id,
    prefix: i.prefix,
    uploads: planUploads(i.objects, i.ledger, id, i.force),
    workers: [...steps.filter((s) => s.kind === "stage"), ...steps.filter((s) => s.kind === "api")],
  };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function describePlan(p: DeployPlan): string {
  const where = p.store.kind === "r2" ? `R2 bucket ${p.store.bucket}` : `KV namespace ${p.store.namespaceId}`;
  const lines = [
    `deployment ${p.deployment}: model under ${where}, prefix ${p.prefix}`,
    `upload ${p.uploads.upload.length} objects (${mib(p.uploads.uploadBytes)}); ` +
      `${p.uploads.unchanged.length} unchanged per the ledger, not sent`,
  ];
  for (const o of p.uploads.upload)
    lines.push(`  put ${o.key}  ${mib(o.bytes)}  sha256 ${o.sha256.slice(0, 12)}`);
  lines.push(`deploy ${p.workers.length} Workers in this order:`);
  p.workers.forEach((w, i) =>
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${w.name}${w.durableObject ? " (Durable Object class StageObject)" : ""}  -c ${w.configPath}`,
    ),
  );
  return lines.join("\n");
}
