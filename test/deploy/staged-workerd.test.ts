// Acceptance of the staged deployment (issue 7) in workerd: the tiny model split into 6 stages (2 vision, the
// first banded; embed; encoder; decoder; lm_head), the API Worker and one stage Worker per stage in one
// Miniflare (service bindings, Durable Objects across scripts, local R2), started by
// stage-worker/dev/miniflare.ts, against the single-Worker mode (test/worker/miniflare-worker.ts) on the
// unsplit model:
//   - a chunk corrupted in R2 before the first request: 503 model_unavailable naming the stage and the failed
//     sha256 check; once restored, the next request is answered (the stage retried its load);
//   - every task of GET /v1/tasks gives the single-Worker mode's result JSON;
//   - the stage calls per request are reported (x-stage-calls, Server-Timing, /v1/stats) and stay within
//     Cloudflare's limits (≤ 32 service-binding calls; each call ≤ 32 MiB);
//   - concurrent first requests load each stage once (single flight).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SplitManifest } from "../../model-splitter/manifest";
import { TASKS, TASK_TOKENS, type TaskToken } from "../../runtime/prompt/tasks";
import { isDecoderSide } from "../../stage-worker/bindings";
import type { StageStatus } from "../../stage-worker/status";
import { callBudget } from "../../stage-worker/dev/call-budget";
import { startStagedDeployment, type StagedDeployment } from "../../stage-worker/dev/miniflare";
import { tinyModelDir } from "../helpers/tiny-model";
import { picturePng } from "../worker/images";
import { startApiWorker, type ApiWorker } from "../worker/miniflare-worker";
import { guardDeployment, guarded, type GuardedDeployment } from "./livelock-guard";
import { tinySplitDir } from "./split-fixture";

const MAX_NEW_TOKENS = 8;
const VARS = { DEFAULT_MAX_NEW_TOKENS: String(MAX_NEW_TOKENS), MAX_NEW_TOKENS_CAP: "32" };

let splitDir: string;
let manifest: SplitManifest;
let staged: StagedDeployment;
/** The staged deployment behind a guard against a local workerd livelock (livelock-guard.ts). */
let guard: GuardedDeployment;
/** Generous: a guarded test may wait out a livelock (≈ 90 s), restart workerd and re-send. */
const GUARDED_TEST_MS = 600_000;
let single: ApiWorker;

beforeAll(async () => {
  splitDir = tinySplitDir(80);
  manifest = JSON.parse(readFileSync(join(splitDir, "manifest.json"), "utf8")) as SplitManifest;
  [staged, single] = await Promise.all([
    startStagedDeployment({ splitDir, vars: VARS }),
    startApiWorker({ modelDir: tinyModelDir(), modelPrefix: "tiny/", vars: VARS }),
  ]);
  guard = guardDeployment(() => startStagedDeployment({ splitDir, vars: VARS }), staged);
  console.log(
    `staged deployment: ${manifest.stages.length} stages, workerd ready in ${staged.startupMs.toFixed(0)} ms, R2 seeded in ${staged.seedMs.toFixed(0)} ms`,
  );
});

afterAll(async () => {
  await Promise.all([(guard?.current() ?? staged)?.dispose(), single?.dispose()]);
});

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & {
    result?: unknown;
    code?: string;
    detail?: string;
    stage?: string;
    reason?: string;
  };
}

async function analyze(
  target: { fetch(path: string, init?: RequestInit): Promise<Response> },
  image: Uint8Array,
  query: Record<string, string> = {},
): Promise<Answer> {
  const res = await target.fetch(`/v1/analyze?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: image as Uint8Array<ArrayBuffer>,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
}

/** "service_binding=4, durable_object=30, max_call_bytes=123" → numbers. */
function stageCalls(h: Headers): Record<string, number> {
  const v = h.get("x-stage-calls");
  expect(v, "x-stage-calls header").toBeTruthy();
  return Object.fromEntries(
    v!
      .split(",")
      .map((kv) => kv.trim().split("="))
      .filter((kv) => kv.length === 2)
      .map(([k, n]) => [k!, Number(n)]),
  );
}

function inputFor(task: TaskToken): Record<string, string> {
  const kind = TASKS[task].input;
  if (kind === "text") return { text_input: "a bright rectangle" };
  if (kind === "region") return { text_input: "[10, 8, 60, 40]" };
  return {};
}

/** A request to the staged API through the livelock guard; `staged` follows a restart. */
async function analyzeStaged(image: Uint8Array, query: Record<string, string> = {}): Promise<Answer> {
  const a = await guarded(guard, (d) => analyze(d, image, query));
  staged = guard.current();
  return a;
}

async function stageStatus(stageId: string): Promise<StageStatus> {
  return (await (await staged.fetchStage(stageId, "/?load=0")).json()) as StageStatus;
}

describe("staged deployment in workerd (tiny model, 6 stage Workers)", () => {
  it("really is staged: ≥ 4 stages, several vision stages with a banded one, decoder-side stages as Durable Objects", () => {
    expect(manifest.stages.length).toBeGreaterThanOrEqual(4);
    const vision = manifest.stages.filter((s) => s.role === "vision");
    expect(vision.length).toBeGreaterThan(1);
    expect(
      vision.some((s) => s.program.kind === "sequence" && s.program.steps.some((st) => st.kind === "band")),
    ).toBe(true);
    expect(
      manifest.stages
        .filter(isDecoderSide)
        .map((s) => s.role)
        .sort(),
    ).toEqual(["decoder", "embed", "lm_head"]);
  });

  it("a corrupted chunk in R2 → 503 naming the stage and the sha256 mismatch; restored → the next request succeeds", async () => {
    const stage = manifest.stages.find(
      (s) =>
        s.role === "vision" &&
        s.id !== manifest.stages[0]!.id &&
        s.graphs.some((g) => g.externalData.length > 0),
    )!;
    const chunk = stage.graphs.flatMap((g) => g.externalData)[0]!;
    const good = new Uint8Array(readFileSync(join(splitDir, chunk.path)));
    const bad = good.slice();
    bad[7] = bad[7]! ^ 0x01;
    await staged.putModelFile(chunk.path, bad);
    const image = picturePng(80, 60, 1);
    const failed = await analyze(staged, image);
    expect(failed.status, JSON.stringify(failed.body)).toBe(503);
    expect(failed.headers.get("content-type")).toContain("application/problem+json");
    expect(failed.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(failed.body).toMatchObject({
      code: "model_unavailable",
      stage: stage.id,
      reason: "model_file_corrupt",
    });
    expect(failed.body.detail).toContain(`stage ${stage.id}`);
    expect(failed.body.detail).toContain("sha256");
    // The stage Worker itself says which file (operators; the API answer carries no paths).
    const status = await staged.fetchStage(stage.id);
    expect(status.status).toBe(503);
    expect(((await status.json()) as { error: string }).error).toContain(
      `stage ${stage.id} could not load: chunk ${chunk.path} sha256 mismatch`,
    );

    await staged.putModelFile(chunk.path, good);
    const ok = await analyze(staged, image);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.result).toEqual((await analyze(single, image)).body.result);
    expect((await stageStatus(stage.id)).attempts).toBeGreaterThanOrEqual(2);
  });

  it(
    "every task of GET /v1/tasks gives the single-Worker mode's result",
    async () => {
      const tasks = (
        (await (await staged.fetch("/v1/tasks")).json()) as { tasks: { task: TaskToken }[] }
      ).tasks.map((t) => t.task);
      expect(tasks).toEqual(TASK_TOKENS);
      const image = picturePng(96, 64);
      for (const task of tasks) {
        const query = { task, ...inputFor(task) };
        const [a, b] = [await analyzeStaged(image, query), await analyze(single, image, query)];
        expect(a.status, `${task}: ${JSON.stringify(a.body)}`).toBe(200);
        expect(b.status, `${task}: ${JSON.stringify(b.body)}`).toBe(200);
        expect(a.body.result, task).toEqual(b.body.result);
      }
    },
    GUARDED_TEST_MS,
  );

  it(
    "reports the stage calls of a request, as the manifest predicts and within Cloudflare's per-request limits",
    async () => {
      const maxNewTokens = 6;
      const budget = callBudget(manifest, maxNewTokens);
      const a = await analyzeStaged(picturePng(72, 72, 9), {
        task: "<CAPTION>",
        max_new_tokens: String(maxNewTokens),
        num_beams: "1",
      });
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      const calls = stageCalls(a.headers);
      // A feature-cache miss: every vision and encoder stage once through its service binding.
      expect(calls.service_binding).toBe(budget.serviceBinding.featureMiss);
      expect(calls.service_binding).toBeLessThanOrEqual(32);
      // The prompt's embedding, open + close per decoder stage, then one call per decoder-side stage per step.
      const { fixed, perStep } = budget.durableObject;
      expect((calls.durable_object! - fixed) % perStep).toBe(0);
      expect(calls.durable_object).toBeGreaterThan(fixed);
      expect(calls.durable_object).toBeLessThanOrEqual(budget.durableObject.forSteps);
      // The largest call carries the pixels (1×3×768×768 float32), as planned.
      expect(calls.max_call_bytes).toBe(budget.largest.bytes);
      expect(calls.max_call_bytes).toBeLessThan(32 * 2 ** 20);
      expect(a.headers.get("server-timing")).toMatch(/stage-sb;dur=[\d.]+;desc="\d+ service-binding calls"/);
      // Same image, another task: features come from the cache, only the encoder stages are called.
      const hit = await analyzeStaged(picturePng(72, 72, 9), {
        task: "<OD>",
        max_new_tokens: "2",
        num_beams: "1",
      });
      expect(stageCalls(hit.headers).service_binding).toBe(budget.serviceBinding.featureHit);
      const stats = (await (await guard.current().fetch("/v1/stats")).json()) as {
        stage_calls: Record<string, number>;
      };
      expect(stats.stage_calls.service_binding).toBeGreaterThanOrEqual(
        calls.service_binding! + budget.serviceBinding.featureHit,
      );
      expect(stats.stage_calls.durable_object).toBeGreaterThanOrEqual(calls.durable_object!);
      // The corrupt chunk's failure, unless a livelocked workerd was replaced since (its counters went with it).
      if (guard.restarts === 0) expect(stats.stage_calls.failures).toBeGreaterThanOrEqual(1);
    },
    GUARDED_TEST_MS,
  );

  it("each stage loaded once in its isolate, and reports its cold start", async () => {
    for (const s of manifest.stages) {
      const st = await stageStatus(s.id);
      expect(st.loaded, s.id).toBe(true);
      expect(st.info!.bytes, s.id).toBeGreaterThan(0);
    }
    const figures = await Promise.all(manifest.stages.map(async (s) => (await stageStatus(s.id)).info!));
    console.log(
      "stage cold starts (ms: read / sha256 / sessions, bytes):",
      figures
        .map(
          (f) =>
            `${f.stageId} ${f.readMs.toFixed(0)}/${f.hashMs.toFixed(0)}/${f.sessionMs.toFixed(0)} (${f.bytes} B)`,
        )
        .join(", "),
    );
  });
});
