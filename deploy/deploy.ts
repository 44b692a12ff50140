// `npm run deploy`: puts a split model and its Workers on Cloudflare (deploy/README.md has the account setup).
//   1. generate the wrangler configs (stages + API) into .wrangler/deploy/<name>/
//   2. upload the split's files to R2 (`wrangler r2 object put --remote`) or KV (`wrangler kv bulk put`),
//      skipping what the ledger (.wrangler/deploy/<name>/ledger.json) says is there with the same sha256
//   3. `wrangler deploy` every stage Worker, then the API Worker
// --dry-run prints the plan and changes nothing remote.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { readBaseConfig } from "./config/base-config";
import {
  featureMissInvocations,
  generateConfigs,
  MAX_WORKER_INVOCATIONS,
  type ModelStore,
} from "./config/generate";
import { writeConfigs } from "./config/render";
import { describePlan, planDeployment } from "./deploy-plan";
import { readLedger } from "./ledger";
import { contentPrefix, modelObjects, readManifest } from "./model-objects";
import { apiVarsFor, DEPLOY_STATE_ROOT, isSyntheticModel, readLastPrepared } from "./prepared";
import { runDeployment, WranglerError } from "./run-deploy";
import { spawnWrangler, type WranglerRunner } from "./wrangler-runner";

interface Options {
  split?: string;
  name: string;
  store: "r2" | "kv";
  bucket?: string;
  kvNamespaceId?: string;
  featuresKvId?: string;
  prefix?: string;
  concurrency: number;
  dryRun: boolean;
  force: boolean;
  upload: boolean;
  workers: boolean;
  createBucket: boolean;
  verbose: boolean;
  ignoreInvocationLimit: boolean;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};

const program = new Command()
  .name("deploy")
  .description(
    "Deploy the staged florence-edge service (a split model in R2/KV, one Worker per stage, the API Worker)",
  )
  .option(
    "--split <dir>",
    "split model folder (npm run split); default: the split the last npm start prepared",
  )
  .option("--name <deployment>", "deployment name, prefix of every Worker name", "florence-edge")
  .addOption(new Option("--store <kind>", "where the model's files live").choices(["r2", "kv"]).default("r2"))
  .option(
    "--bucket <name>",
    "R2 bucket (default: the MODEL bucket of wrangler.toml); with --store kv it holds the API's files",
  )
  .option("--kv-namespace-id <id>", "KV namespace for the model (with --store kv)")
  .option(
    "--features-kv-id <id>",
    "KV namespace for the feature/result cache (default: none, Cache API only)",
  )
  .option("--prefix <prefix>", "key prefix of the model (default: staged/<model>-<content hash>/)")
  .option("--concurrency <n>", "R2 uploads in flight", positive, 4)
  .option("--dry-run", "print the plan (and write the configs), change nothing remote", false)
  .option("--force", "upload every file even if the ledger has it", false)
  .option("--no-upload", "skip the model upload")
  .option("--no-workers", "skip deploying the Workers")
  .option("--create-bucket", "create the R2 bucket first (an existing bucket is fine)", false)
  .option("--verbose", "echo wrangler's output", false)
  .option(
    "--ignore-invocation-limit",
    `deploy even if a feature miss would chain more than ${MAX_WORKER_INVOCATIONS} Worker invocations`,
    false,
  )
  .addHelpText(
    "after",
    "\nNeeds a Cloudflare account: `npx wrangler login` or CLOUDFLARE_API_TOKEN (+ CLOUDFLARE_ACCOUNT_ID); see deploy/README.md.",
  );

function chooseSplit(flag: string | undefined): string {
  if (flag) return resolve(flag);
  const last = readLastPrepared()?.splitDir;
  if (last && existsSync(join(last, "manifest.json"))) return last;
  throw new Error("no split model: pass --split DIR (npm run split), or run npm start once to prepare one");
}

function chooseStore(o: Options, bucketDefault: string): ModelStore {
  if (o.store === "r2") return { kind: "r2", bucket: o.bucket ?? bucketDefault };
  if (!o.kvNamespaceId)
    throw new Error("--store kv needs --kv-namespace-id (npx wrangler kv namespace create NAME)");
  return { kind: "kv", namespaceId: o.kvNamespaceId, bucket: o.bucket ?? bucketDefault };
}

async function preflight(runner: WranglerRunner, o: Options, store: ModelStore): Promise<void> {
  const who = await runner(["whoami"]);
  if (who.code !== 0 || /not authenticated/i.test(who.stdout + who.stderr)) {
    throw new Error(
      "wrangler is not logged in: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN (deploy/README.md)",
    );
  }
  if (o.createBucket) {
    const r = await runner(["r2", "bucket", "create", store.bucket]);
    if (r.code !== 0 && !/already exists|already own/i.test(r.stdout + r.stderr)) {
      throw new WranglerError(["r2", "bucket", "create", store.bucket], r);
    }
  }
}

async function main(o: Options): Promise<void> {
  const splitDir = chooseSplit(o.split);
  const manifest = readManifest(splitDir);
  const base = readBaseConfig();
  const store = chooseStore(o, base.bucketName);
  const prefix = o.prefix ?? contentPrefix(manifest);
  const dir = join(DEPLOY_STATE_ROOT, o.name);
  const workers = generateConfigs(manifest, {
    deployment: o.name,
    store,
    prefix,
    base,
    configDir: dir,
    featuresKvId: o.featuresKvId ?? null,
    apiVars: apiVarsFor(splitDir),
  });
  const paths = writeConfigs(dir, workers, [
    `Generated by npm run deploy (deploy/deploy.ts) from ${splitDir}/manifest.json: do not edit, regenerate.`,
  ]);
  const configPaths = workers.map((w) => join(dir, w.file));
  const ledgerPath = join(dir, "ledger.json");
  const ledger = readLedger(ledgerPath);
  const plan = planDeployment({
    deployment: o.name,
    store,
    prefix,
    manifest,
    objects: modelObjects(splitDir, manifest, prefix),
    ledger,
    workers,
    configPaths,
    force: o.force,
  });

  if (isSyntheticModel(splitDir)) {
    console.warn(
      `WARNING: ${manifest.model.id} is a SYNTHETIC model (random weights): the service works, its answers are noise.`,
    );
  }
  console.log(
    `split ${splitDir}: ${manifest.stages.length} stages, ${manifest.files.length + 1} files; configs in ${dir} (API: ${paths.api})`,
  );
  console.log(describePlan(plan));
  // Local workerd does not count invocations; Cloudflare would fail every new image's request, so a real
  // deploy stops here (a dry run only says so).
  const invocations = featureMissInvocations(manifest);
  if (invocations > MAX_WORKER_INVOCATIONS) {
    const msg =
      `this split needs ${invocations} Worker invocations per feature-miss request (the API Worker + ` +
      `${invocations - 1} vision/encoder stages); Cloudflare allows ${MAX_WORKER_INVOCATIONS}. ` +
      "Re-split with fewer, larger stages (npm run split -- --budget/--target)";
    if (!o.dryRun && !o.ignoreInvocationLimit) throw new Error(`${msg}, or pass --ignore-invocation-limit`);
    console.warn(`WARNING: ${msg}`);
  }
  if (o.dryRun) {
    console.log("dry run: nothing uploaded or deployed");
    return;
  }
  const runner = spawnWrangler({
    cwd: dir,
    echo: o.verbose ? (l) => console.log(`  wrangler: ${l}`) : undefined,
  });
  await preflight(runner, o, store);
  const report = await runDeployment(plan, {
    runner,
    ledger,
    ledgerPath,
    tmpDir: join(dir, "tmp"),
    concurrency: o.concurrency,
    skipUploads: !o.upload,
    skipWorkers: !o.workers,
    log: (l) => console.log(l),
  });
  console.log(
    `done in ${report.seconds.toFixed(1)} s: uploaded ${report.uploaded} objects (${(report.uploadedBytes / 2 ** 20).toFixed(1)} MiB), ` +
      `${report.unchanged} unchanged; deployed ${report.deployed.length} Workers`,
  );
}

program.parse();
main(program.opts<Options>()).catch((e: unknown) => {
  console.error(`deploy: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
