// Carries out a DeployPlan through a WranglerRunner: uploads (R2 object puts, a few in flight; or KV bulk puts
// in batches), each recorded in the ledger as soon as it succeeded, then `wrangler deploy` per Worker in the
// plan's order. The first failure stops the run; a rerun skips what the ledger already holds.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeployPlan, UploadTarget } from "./deploy-plan";
import { recordUpload, writeLedger, type Ledger } from "./ledger";
import type { ModelObject } from "./model-objects";
import type { WranglerResult, WranglerRunner } from "./wrangler-runner";

export class WranglerError extends Error {
  constructor(
    readonly args: string[],
    readonly result: WranglerResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-8).join("\n");
    super(`wrangler ${args.join(" ")} exited with ${result.code}:\n${tail}`);
    this.name = "WranglerError";
  }
}

export interface RunOptions {
  runner: WranglerRunner;
  ledger: Ledger;
  ledgerPath: string;
  /** Folder for KV bulk files (deleted after each batch). */
  tmpDir: string;
  /** R2 puts in flight; default 4. */
  concurrency?: number;
  skipUploads?: boolean;
  skipWorkers?: boolean;
  log?: (line: string) => void;
}

export interface DeployReport {
  uploaded: number;
  uploadedBytes: number;
  unchanged: number;
  deployed: string[];
  seconds: number;
}

/** KV bulk requests are limited to 100 MB and 10 000 pairs; base64 adds a third. */
const KV_BATCH_BYTES = 60 * 2 ** 20;
const KV_BATCH_KEYS = 1000;

async function call(runner: WranglerRunner, args: string[]): Promise<void> {
  const result = await runner(args);
  if (result.code !== 0) throw new WranglerError(args, result);
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, lane));
  if (failed !== undefined) throw failed;
}

function kvBatches(objects: ModelObject[]): ModelObject[][] {
  const batches: ModelObject[][] = [];
  let cur: ModelObject[] = [];
  let bytes = 0;
  for (const o of objects) {
    if (cur.length > 0 && (bytes + o.bytes > KV_BATCH_BYTES || cur.length >= KV_BATCH_KEYS)) {
      batches.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(o);
    bytes += o.bytes;
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

async function upload(
  target: UploadTarget,
  prefix: string,
  o: RunOptions,
  log: (l: string) => void,
): Promise<number> {
  const manifestKey = `${prefix}manifest.json`;
  const todo = target.plan.upload;
  const body = todo.filter((x) => x.key !== manifestKey);
  const last = todo.filter((x) => x.key === manifestKey);
  let done = 0;
  const record = (x: ModelObject) => {
    recordUpload(o.ledger, target.storeId, x.key, x.sha256, x.bytes);
    writeLedger(o.ledgerPath, o.ledger);
    done++;
  };
  if (target.kind === "r2") {
    const put = async (x: ModelObject) => {
      await call(o.runner, [
        "r2",
        "object",
        "put",
        `${target.bucket}/${x.key}`,
        "--file",
        x.file,
        "--remote",
      ]);
      record(x);
      log(
        `[${done}/${todo.length}] put ${x.key} (${(x.bytes / 2 ** 20).toFixed(1)} MiB) to R2 ${target.bucket}`,
      );
    };
    await pool(body, o.concurrency ?? 4, put);
    await pool(last, 1, put);
  } else {
    mkdirSync(o.tmpDir, { recursive: true });
    for (const batch of [...kvBatches(body), ...kvBatches(last)]) {
      const file = join(o.tmpDir, `kv-bulk-${process.pid}.json`);
      const pairs = batch.map((x) => ({
        key: x.key,
        value: readFileSync(x.file).toString("base64"),
        base64: true,
      }));
      writeFileSync(file, JSON.stringify(pairs));
      try {
        await call(o.runner, ["kv", "bulk", "put", file, "--namespace-id", target.namespaceId, "--remote"]);
      } finally {
        rmSync(file, { force: true });
      }
      batch.forEach(record);
      log(`[${done}/${todo.length}] KV bulk put of ${batch.length} keys to ${target.namespaceId}`);
    }
  }
  return done;
}

export async function runDeployment(plan: DeployPlan, o: RunOptions): Promise<DeployReport> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  let uploaded = 0;
  let uploadedBytes = 0;
  if (!o.skipUploads) {
    for (const target of plan.uploads) {
      uploaded += await upload(target, plan.prefix, o, log);
      uploadedBytes += target.plan.uploadBytes;
    }
  }
  const deployed: string[] = [];
  if (!o.skipWorkers) {
    for (const w of plan.workers) {
      log(`deploying ${w.name} (${deployed.length + 1}/${plan.workers.length})`);
      await call(o.runner, ["deploy", "-c", w.configPath]);
      deployed.push(w.name);
    }
  }
  return {
    uploaded,
    uploadedBytes,
    unchanged: plan.uploads.reduce((n, u) => n + u.plan.unchanged.length, 0),
    deployed,
    seconds: (performance.now() - t0) / 1000,
  };
}
