// `npm run deploy` without an account: the plan and its execution through a fake wrangler that records calls.
// Checks the order (files before Workers, manifest.json last, stages before the API), idempotence (a rerun
// uploads nothing, a changed file only that file, an interrupted run resumes), KV bulk files carrying the
// exact bytes, and `--dry-run` of the real CLI on the tiny split.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBaseConfig } from "../../deploy/config/base-config";
import { generateConfigs, type GeneratedWorker, type ModelStore } from "../../deploy/config/generate";
import { planDeployment } from "../../deploy/deploy-plan";
import { readLedger } from "../../deploy/ledger";
import { DEPLOY_STATE_ROOT } from "../../deploy/prepared";
import { contentPrefix, modelObjects, type ModelObject } from "../../deploy/model-objects";
import { runDeployment, WranglerError } from "../../deploy/run-deploy";
import type { WranglerResult, WranglerRunner } from "../../deploy/wrangler-runner";
import { makeTinySplit, type TinySplit } from "./tiny-split";

let split: TinySplit;
let work: string;
let workers: GeneratedWorker[];
let objects: ModelObject[];
const R2: ModelStore = { kind: "r2", bucket: "bkt" };

interface Fake {
  runner: WranglerRunner;
  calls: string[][];
}

/** Records every call; fails (exit 1) on the call numbers in `failAt` (1-based). */
function fakeWrangler(failAt: number[] = [], inspect?: (args: string[]) => void): Fake {
  const calls: string[][] = [];
  const runner: WranglerRunner = async (args) => {
    calls.push(args);
    inspect?.(args);
    const fail = failAt.includes(calls.length);
    return {
      code: fail ? 1 : 0,
      stdout: "",
      stderr: fail ? "simulated failure" : "",
    } satisfies WranglerResult;
  };
  return { runner, calls };
}

const putKey = (args: string[]) =>
  args[0] === "r2" && args[2] === "put" ? args[3]!.slice("bkt/".length) : undefined;

beforeAll(() => {
  split = makeTinySplit();
  work = mkdtempSync(join(tmpdir(), "deploy-plan-"));
  workers = generateConfigs(split.manifest, {
    deployment: "t",
    store: R2,
    prefix: contentPrefix(split.manifest),
    base: readBaseConfig(),
    configDir: work,
  });
  objects = modelObjects(split.dir, split.manifest, contentPrefix(split.manifest));
});
afterAll(() => {
  split?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

function plan(ledgerPath: string, objs = objects, store: ModelStore = R2) {
  return planDeployment({
    deployment: "t",
    store,
    prefix: contentPrefix(split.manifest),
    manifest: split.manifest,
    objects: objs,
    ledger: readLedger(ledgerPath),
    workers,
    configPaths: workers.map((w) => `/cfg/${w.file}`),
  });
}

describe("deploy plan and run (fake wrangler)", () => {
  it("uploads every file once, manifest.json last, then deploys the stages before the API", async () => {
    const ledgerPath = join(work, "l1.json");
    const p = plan(ledgerPath);
    expect(p.uploads).toHaveLength(1);
    expect(p.uploads[0]!.plan.upload).toHaveLength(split.manifest.files.length + 1);
    const fake = fakeWrangler();
    const report = await runDeployment(p, {
      runner: fake.runner,
      ledger: readLedger(ledgerPath),
      ledgerPath,
      tmpDir: work,
    });
    const puts = fake.calls.map(putKey).filter((k) => k !== undefined);
    expect(new Set(puts).size).toBe(puts.length);
    expect(puts.sort()).toEqual(objects.map((o) => o.key).sort());
    const putCalls = fake.calls.filter((c) => putKey(c) !== undefined);
    expect(putKey(putCalls.at(-1)!)).toBe(`${contentPrefix(split.manifest)}manifest.json`);
    for (const c of putCalls) expect(c).toContain("--remote");
    const deploys = fake.calls.filter((c) => c[0] === "deploy").map((c) => c[2]);
    expect(fake.calls.findIndex((c) => c[0] === "deploy")).toBe(putCalls.length);
    expect(deploys).toEqual([
      ...split.manifest.stages.map((s) => `/cfg/stage-${s.id}.jsonc`),
      "/cfg/api.jsonc",
    ]);
    expect(report.uploaded).toBe(objects.length);
  });

  it("uploads nothing on a rerun, and only a changed file after a change", async () => {
    const ledgerPath = join(work, "l2.json");
    await runDeployment(plan(ledgerPath), {
      runner: fakeWrangler().runner,
      ledger: readLedger(ledgerPath),
      ledgerPath,
      tmpDir: work,
    });
    const again = plan(ledgerPath);
    expect(again.uploads[0]!.plan.upload).toEqual([]);
    expect(again.uploads[0]!.plan.unchanged).toHaveLength(objects.length);
    const fake = fakeWrangler();
    await runDeployment(again, {
      runner: fake.runner,
      ledger: readLedger(ledgerPath),
      ledgerPath,
      tmpDir: work,
    });
    expect(fake.calls.filter((c) => c[0] === "r2")).toEqual([]);
    expect(fake.calls.filter((c) => c[0] === "deploy")).toHaveLength(workers.length);

    const changed = objects.map((o, i) => (i === 3 ? { ...o, sha256: "0".repeat(64) } : o));
    const p = plan(ledgerPath, changed);
    expect(p.uploads[0]!.plan.upload.map((o) => o.key)).toEqual([objects[3]!.key]);
  });

  it("keeps what an interrupted run uploaded; the next run sends only the rest", async () => {
    const ledgerPath = join(work, "l3.json");
    const failing = fakeWrangler([5]);
    await expect(
      runDeployment(plan(ledgerPath), {
        runner: failing.runner,
        ledger: readLedger(ledgerPath),
        ledgerPath,
        tmpDir: work,
        concurrency: 1,
      }),
    ).rejects.toBeInstanceOf(WranglerError);
    expect(failing.calls.filter((c) => c[0] === "deploy")).toEqual([]);
    const done = Object.keys(readLedger(ledgerPath).stores["r2:bkt"] ?? {});
    expect(done).toEqual(failing.calls.slice(0, 4).map((c) => putKey(c)));
    const rest = plan(ledgerPath);
    expect(rest.uploads[0]!.plan.upload).toHaveLength(objects.length - 4);
    const ok = fakeWrangler();
    await runDeployment(rest, {
      runner: ok.runner,
      ledger: readLedger(ledgerPath),
      ledgerPath,
      tmpDir: work,
    });
    expect(ok.calls.map(putKey).filter(Boolean).sort()).toEqual(
      rest.uploads[0]!.plan.upload.map((o) => o.key).sort(),
    );
  });

  it("sends KV bulk files holding each file's exact bytes", async () => {
    const ledgerPath = join(work, "l4.json");
    const seen = new Map<string, Buffer>();
    const fake = fakeWrangler([], (args) => {
      if (args[0] !== "kv") return;
      expect(args.slice(0, 3)).toEqual(["kv", "bulk", "put"]);
      expect(args).toContain("--remote");
      expect(args[args.indexOf("--namespace-id") + 1]).toBe("ns1");
      const pairs = JSON.parse(readFileSync(args[3]!, "utf8")) as {
        key: string;
        value: string;
        base64: boolean;
      }[];
      for (const p of pairs) seen.set(p.key, Buffer.from(p.value, "base64"));
    });
    const kv: ModelStore = { kind: "kv", namespaceId: "ns1", bucket: "bkt" };
    await runDeployment(plan(ledgerPath, objects, kv), {
      runner: fake.runner,
      ledger: readLedger(ledgerPath),
      ledgerPath,
      tmpDir: work,
    });
    expect(seen.size).toBe(objects.length);
    for (const o of objects) expect(seen.get(o.key)?.equals(readFileSync(o.file))).toBe(true);
    // The API Worker's own files (manifest, tokenizer, configs: no stage graph or chunk) also go to R2.
    const stageFiles = new Set(
      split.manifest.stages.flatMap((s) =>
        s.graphs.flatMap((g) => [g.model.path, ...g.externalData.map((f) => f.path)]),
      ),
    );
    const apiKeys = objects
      .filter((o) => !stageFiles.has(o.key.slice(contentPrefix(split.manifest).length)))
      .map((o) => o.key);
    expect(apiKeys).toContain(`${contentPrefix(split.manifest)}tokenizer.json`);
    expect(fake.calls.map(putKey).filter(Boolean)).toEqual([
      ...apiKeys.filter((k) => !k.endsWith("manifest.json")),
      apiKeys.at(-1),
    ]);
    const again = plan(ledgerPath, objects, kv);
    expect(again.uploads.map((u) => u.plan.upload.length)).toEqual([0, 0]);
  });
});

describe("npm run deploy -- --dry-run", () => {
  afterAll(() => rmSync(join(DEPLOY_STATE_ROOT, "dry-test"), { recursive: true, force: true }));

  it("prints the plan for the tiny split without calling wrangler", () => {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "deploy/deploy.ts", "--split", split.dir, "--name", "dry-test", "--dry-run"],
      { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    expect(out).toContain(`upload ${objects.length} objects`);
    expect(out).toContain("dry-test-stage-vision-0");
    expect(out).toMatch(/\d+\. dry-test-api/);
    expect(out).toContain("dry run: nothing uploaded or deployed");
  });

  it("refuses a real deploy of a split that chains more than 32 Worker invocations per feature miss", () => {
    // The tiny test split has many small stages: more sequence stages than Cloudflare's 32 invocations allow.
    const sequence = split.manifest.stages.filter((s) => !["embed", "decoder", "lm_head"].includes(s.role));
    expect(sequence.length + 1).toBeGreaterThan(32);
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "deploy/deploy.ts", "--split", split.dir, "--name", "dry-test"],
      { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", PATH: "/nonexistent" } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`needs ${sequence.length + 1} Worker invocations`);
    expect(r.stderr).toContain("--ignore-invocation-limit");
  });
});
