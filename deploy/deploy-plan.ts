// The plan of `npm run deploy`: which model objects go up (and which are already there per the ledger), then
// which Workers are deployed in which order. Stages come before the API Worker: its service bindings and
// Durable Object bindings name the stage scripts, which must exist when it is deployed.
import type { SplitManifest } from "../model-splitter/manifest";
import type { GeneratedWorker, ModelStore } from "./config/generate";
import type { Ledger } from "./ledger";
import { apiObjects, type ModelObject } from "./model-objects";
import { planUploads, type UploadPlan } from "./upload-plan";

/** One store the split goes to, with what is to be sent there. */
export type UploadTarget = ({ kind: "r2"; bucket: string } | { kind: "kv"; namespaceId: string }) & {
  /** Ledger key of the store. */
  storeId: string;
  plan: UploadPlan;
};

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
  prefix: string;
  /** In order: with KV, every file to KV for the stages, then the API's files to R2. */
  uploads: UploadTarget[];
  workers: WorkerStep[];
}

export interface PlanInput {
  deployment: string;
  store: ModelStore;
  prefix: string;
  manifest: SplitManifest;
  objects: ModelObject[];
  ledger: Ledger;
  workers: GeneratedWorker[];
  /** Config file path of each generated Worker (same order). */
  configPaths: string[];
  force?: boolean;
}

export function planDeployment(i: PlanInput): DeployPlan {
  const r2 = (bucket: string, objects: ModelObject[]): UploadTarget => ({
    kind: "r2",
    bucket,
    storeId: `r2:${bucket}`,
    plan: planUploads(objects, i.ledger, `r2:${bucket}`, i.force),
  });
  const uploads: UploadTarget[] =
    i.store.kind === "r2"
      ? [r2(i.store.bucket, i.objects)]
      : [
          {
            kind: "kv",
            namespaceId: i.store.namespaceId,
            storeId: `kv:${i.store.namespaceId}`,
            plan: planUploads(i.objects, i.ledger, `kv:${i.store.namespaceId}`, i.force),
          },
          r2(i.store.bucket, apiObjects(i.manifest, i.objects, i.prefix)),
        ];
  const steps = i.workers.map((w, k) => ({
    name: w.config.name,
    configPath: i.configPaths[k]!,
    kind: w.kind,
    durableObject: w.durableObject,
  }));
  return {
    deployment: i.deployment,
    store: i.store,
    prefix: i.prefix,
    uploads,
    workers: [...steps.filter((s) => s.kind === "stage"), ...steps.filter((s) => s.kind === "api")],
  };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function describePlan(p: DeployPlan): string {
  const lines = [`deployment ${p.deployment}: model prefix ${p.prefix}`];
  for (const u of p.uploads) {
    const where = u.kind === "r2" ? `R2 bucket ${u.bucket}` : `KV namespace ${u.namespaceId}`;
    lines.push(
      `upload ${u.plan.upload.length} objects (${mib(u.plan.uploadBytes)}) to ${where}; ` +
        `${u.plan.unchanged.length} unchanged per the ledger, not sent`,
    );
    for (const o of u.plan.upload)
      lines.push(`  put ${o.key}  ${mib(o.bytes)}  sha256 ${o.sha256.slice(0, 12)}`);
  }
  lines.push(`deploy ${p.workers.length} Workers in this order:`);
  p.workers.forEach((w, i) =>
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${w.name}${w.durableObject ? " (Durable Object class StageObject)" : ""}  -c ${w.configPath}`,
    ),
  );
  return lines.join("\n");
}
