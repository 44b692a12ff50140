// Faults injected through the Worker's bindings, against the real Worker in workerd with the tiny model:
//   - KV reads/writes that throw or hang (FEATURES is a service binding to fault-bindings-worker.ts) and a
//     Cache API that throws (wrapped in probe-entry.ts): the answer is computed without the cache and equals a
//     reference computed from the same pixels under other bytes (other cache keys), and the next request
//     uses the caches again;
//   - model files in R2 missing or corrupt: 503 model_unavailable naming the kind of cause, then recovery once
//     the files are right (the load is retried);
//   - onnxruntime throwing at run time, in the vision encoder and mid-generation (poisoned-model.ts): 500
//     naming the step, and the next request is answered correctly by the same sessions;
//   - the staged deployment (issue 7): a stage Worker's Durable Object throwing mid-generation → 500 naming
//     the stage, and the next request is answered correctly;
//   - overload: MAX_IN_FLIGHT and MAX_QUEUE answer 429 with Retry-After, and the refused requests succeed later.
// Two Miniflare instances, started together; each loads the model once (the model-file one after its faults).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASKS, TASK_TOKENS } from "../../runtime/prompt/tasks";
import { tinyModelDir } from "../helpers/tiny-model";
import { folderObjects } from "../workerd/harness";
import { cacheApiUrl, featureKey, resultKey } from "../../worker/cache/keys";
import { encodeImage, samePixelsOtherBytes, solidPng } from "./corpus-images";
import { endlessBody } from "./hostile-cases";
import { DECODER_TRIGGER_STEP, poisonModelObjects } from "./poisoned-model";
import { startReliabilityWorker, type ReliabilityWorker } from "./reliability-worker";
import { startStagedDeployment, type StagedDeployment } from "../../stage-worker/dev/miniflare";
import { poisonedSplitObjects } from "../deploy/poisoned-split";
import { tinySplitDir } from "../deploy/split-fixture";

const CACHE_TIMEOUT_MS = 300;
const MAX_IN_FLIGHT = 3;

let bindings: ReliabilityWorker;
let files: ReliabilityWorker;
/** The staged deployment (issue 7) of the tiny model split into 6 stage Workers, for the stage RPC fault. */
let staged: StagedDeployment;
const splitDir = tinySplitDir(80);
const poisonedSplit = poisonedSplitObjects(splitDir);
const modelObjects = Object.fromEntries(
  Object.entries(folderObjects(tinyModelDir(), "root")).map(([k, v]) => [k.slice("root/".length), v]),
);
const poisoned = poisonModelObjects(modelObjects);

interface Answer {
  status: number;
  headers: Headers;
  body: {
    result?: unknown;
    image?: { sha256: string };
    cache?: { features: string; result: string };
    code?: string;
    detail?: string;
    reason?: string;
    step?: string;
    [k: string]: unknown;
  };
  ms: number;
}

async function analyze(
  w: Pick<ReliabilityWorker, "fetch">,
  image: Uint8Array,
  query: Record<string, string> = {},
): Promise<Answer> {
  const t0 = performance.now();
  const res = await w.fetch(`/v1/analyze?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: image as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: JSON.parse(text) as Answer["body"],
    ms: performance.now() - t0,
  };
}

async function stats(
  w: ReliabilityWorker,
): Promise<Record<string, number> & { hits_by_level: Record<string, number> }> {
  return (await (await w.fetch("/v1/stats")).json()) as Record<string, number> & {
    hits_by_level: Record<string, number>;
  };
}

const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** The problem+json of a failure, with nothing internal in it. */
function expectProblem(a: Answer, status: number, code: string): void {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  expect(a.headers.get("content-type")).toBe("application/problem+json");
  expect(a.body.code).toBe(code);
  expect(JSON.stringify(a.body)).not.toMatch(
    /\bat .*\(|\.ts:\d+|node_modules|Gather|guard|onnx\b|\.onnx|MODEL bucket/i,
  );
}

let imageCount = 0;
/** A fresh picture (never seen by the caches) and the same pixels under other bytes. */
function freshPair(): { image: Uint8Array; twin: Uint8Array } {
  const image = encodeImage("png", 80, 60, 37 * ++imageCount);
  return { image, twin: samePixelsOtherBytes(image) };
}

beforeAll(async () => {
  [bindings, files, staged] = await Promise.all([
    startReliabilityWorker({
      modelDir: tinyModelDir(),
      faultyKv: true,
      // fp32 features: an answer from cached features is then bit-identical to a freshly computed one.
      vars: {
        CACHE_TIMEOUT_MS: String(CACHE_TIMEOUT_MS),
        FEATURE_DTYPE: "fp32",
        DEFAULT_NUM_BEAMS: "1",
        DEFAULT_MAX_NEW_TOKENS: "4",
        MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
        MAX_QUEUE: "1",
        MAX_IMAGE_BYTES: "300000",
      },
    }),
    startReliabilityWorker({ vars: { DEFAULT_NUM_BEAMS: "1", DEFAULT_MAX_NEW_TOKENS: "3" } }),
    startStagedDeployment({ splitDir, vars: { DEFAULT_NUM_BEAMS: "1", FEATURE_DTYPE: "fp32" } }),
  ]);
});

afterAll(async () => {
  await Promise.all([bindings?.dispose(), files?.dispose(), staged?.dispose()]);
});

describe("cache faults: the answer is computed without the cache, and the caches serve again afterwards", () => {
  // One picture for every fault; before each, its entries are deleted from both levels so that the faulty
  // request has to go through the (failing) caches to the model. The reference comes from the twin.
  const { image, twin } = freshPair();
  const TASK = "<OD>";
  let reference: Answer;

  async function clearEntries(): Promise<void> {
    const version = String((reference.body.model as { version: string }).version);
    const hex = Buffer.from(await crypto.subtle.digest("SHA-256", image as Uint8Array<ArrayBuffer>)).toString(
      "hex",
    );
    const keys = [
      featureKey(version, hex),
      await resultKey(version, hex, { task: TASK, textInput: undefined, numBeams: 1, maxNewTokens: 4 }),
    ];
    const kv = await bindings.mf.getKVNamespace("INNER", "faults");
    const caches = await bindings.mf.getCaches();
    for (const key of keys) {
      await kv.delete(key);
      await caches.default.delete(cacheApiUrl(key));
    }
  }

  async function underFault(
    inject: () => Promise<unknown>,
  ): Promise<{ faulty: Answer; errorsBefore: number }> {
    reference ??= await analyze(bindings, twin, { task: TASK });
    expect(reference.status, JSON.stringify(reference.body)).toBe(200);
    await clearEntries();
    const errorsBefore = (await stats(bindings)).store_errors!;
    await inject();
    try {
      const faulty = await analyze(bindings, image, { task: TASK });
      expect(faulty.status, JSON.stringify(faulty.body)).toBe(200);
      expect(faulty.body.result).toEqual(reference.body.result);
      expect(faulty.body.cache).toEqual({ features: "miss", result: "miss" });
      return { faulty, errorsBefore };
    } finally {
      await bindings.setKvFaults({});
      await bindings.setCacheFaults(false);
    }
  }

  it("KV reads throw", async () => {
    const { errorsBefore } = await underFault(() => bindings.setKvFaults({ kvGet: "throw" }));
    expect((await stats(bindings)).store_errors! - errorsBefore).toBeGreaterThanOrEqual(2); // result and feature reads
    // Recovered: the entry written during the fault is served (from the Cache API, which kept working).
    const again = await analyze(bindings, image, { task: TASK });
    expect(again.body.cache?.result).toBe("hit");
    expect(again.body.result).toEqual(reference.body.result);
  });

  it("KV reads hang: each read is abandoned after CACHE_TIMEOUT_MS", async () => {
    const { faulty, errorsBefore } = await underFault(() => bindings.setKvFaults({ kvGet: "hang" }));
    expect((await stats(bindings)).store_errors! - errorsBefore).toBeGreaterThanOrEqual(2);
    // Two abandoned reads cost 2 × 300 ms on top of the computation; a hung read would cost the 20 s hang.
    console.log(
      `KV reads hanging: ${Math.round(faulty.ms)} ms (the reference, computed without faults: ${Math.round(reference.ms)} ms)`,
    );
    expect(faulty.ms).toBeGreaterThanOrEqual(2 * CACHE_TIMEOUT_MS - 20);
    expect(faulty.ms).toBeLessThan(reference.ms + 2 * CACHE_TIMEOUT_MS + 5000);
  });

  it("KV writes throw or hang: the answer is not delayed, and the failed writes are counted", async () => {
    for (const kvPut of ["throw", "hang"] as const) {
      const { errorsBefore } = await underFault(() => bindings.setKvFaults({ kvPut }));
      // The writes run after the answer (waitUntil) and underFault has already lifted the fault; a hanging
      // write ends at CACHE_TIMEOUT_MS. Both (features, result) must have been counted as failed.
      await until(
        async () => (await stats(bindings)).store_errors! - errorsBefore >= 2,
        `the failed KV writes (${kvPut})`,
      );
    }
  });

  it("the Cache API throws: KV still serves, and answers are right", async () => {
    const before = await stats(bindings);
    await underFault(() => bindings.setCacheFaults(true));
    // With the Cache API still failing, the same request and another task find their entries in KV.
    await bindings.setCacheFaults(true);
    try {
      const again = await analyze(bindings, image, { task: TASK });
      expect(again.body.cache?.result).toBe("hit");
      expect(again.body.result).toEqual(reference.body.result);
      const other = await analyze(bindings, image, { task: "<OCR>" });
      expect(other.status).toBe(200);
      expect(other.body.cache?.features).toBe("hit");
    } finally {
      await bindings.setCacheFaults(false);
    }
    const after = await stats(bindings);
    expect(after.hits_by_level.kv! - (before.hits_by_level.kv ?? 0)).toBeGreaterThanOrEqual(2);
  });

  it("every cache level fails at once: still a correct answer, then normal service", async () => {
    await underFault(async () => {
      await bindings.setCacheFaults(true);
      await bindings.setKvFaults({ kvGet: "throw", kvPut: "throw" });
    });
    // Nothing was cached during the fault; now it computes once more and caches.
    const after = await analyze(bindings, image, { task: TASK });
    expect(after.status).toBe(200);
    expect(after.body.result).toEqual(reference.body.result);
    await until(
      async () => (await analyze(bindings, image, { task: TASK })).body.cache?.result === "hit",
      "the result to be cached again",
    );
  });
});

describe("overload: a per-isolate limit answers 429 with Retry-After, and nothing is lost", () => {
  it("requests whose bodies are still arriving count against MAX_IN_FLIGHT (checked before reading)", async () => {
    const sent = Array.from({ length: MAX_IN_FLIGHT }, () => ({ chunks: 0 }));
    // Uploads that trickle (16 KB every 50 ms) hold every admission slot until they pass MAX_IMAGE_BYTES.
    const slow = sent.map((s) =>
      bindings.fetch("/v1/analyze", {
        method: "POST",
        headers: { "content-type": "image/png" },
        body: endlessBody(16 * 1024, 50, s),
        duplex: "half",
      } as RequestInit),
    );
    await until(
      async () => (await stats(bindings)).in_flight === MAX_IN_FLIGHT,
      "the slow uploads to be admitted",
    );
    const refused = await analyze(bindings, encodeImage("png", 40, 40, 3));
    expectProblem(refused, 429, "rate_limited");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.ms).toBeLessThan(1000);
    for (const res of await Promise.all(slow)) expect(res.status).toBe(413);
    expect((await stats(bindings)).in_flight).toBe(0);
    expect((await analyze(bindings, encodeImage("png", 40, 40, 3))).status).toBe(200);
  });

  it("a burst of 8 requests (one image, 8 tasks): 200s for the admitted, 429 + Retry-After for the rest, and every refused one succeeds on retry", async () => {
    const image = encodeImage("png", 48, 40, 211);
    const sha = Buffer.from(await crypto.subtle.digest("SHA-256", image as Uint8Array<ArrayBuffer>)).toString(
      "hex",
    );
    const tasks = TASK_TOKENS.filter((t) => TASKS[t].input === "none");
    const answers = await Promise.all(tasks.map((task) => analyze(bindings, image, { task })));
    const statuses = answers.map((a) => a.status);
    console.log(
      `burst of ${tasks.length} with MAX_IN_FLIGHT ${MAX_IN_FLIGHT}, MAX_QUEUE 1: ${statuses.join(",")}`,
    );
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // How many are refused depends on how the requests arrive (an early one may finish before the last arrives).
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    const check = (a: Answer, task: string) => {
      expect(a.body.task).toBe(task);
      expect(a.body.image?.sha256).toBe(sha);
    };
    for (const [i, a] of answers.entries()) {
      if (a.status === 200) check(a, tasks[i]!);
      else {
        expectProblem(a, 429, "rate_limited");
        expect(a.headers.get("retry-after")).toMatch(/^\d+$/);
      }
    }
    // Retried one at a time (as Retry-After asks), every refused request is answered, with its own task.
    for (const [i, a] of answers.entries()) {
      if (a.status !== 429) continue;
      const retry = await analyze(bindings, image, { task: tasks[i]! });
      expect(retry.status).toBe(200);
      check(retry, tasks[i]!);
    }
  });
});

describe("model files in R2 missing or corrupt: 503 naming the kind of cause, then recovery", () => {
  const bucket = () => files.mf.getR2Bucket("MODEL", "api");
  const upload = async (objects: Record<string, Uint8Array>) => {
    const b = await bucket();
    for (const [key, bytes] of Object.entries(objects)) await b.put(key, bytes);
  };
  const image = encodeImage("png", 64, 48, 5);
  const health = async () =>
    (await (await files.fetch("/healthz")).json()) as { model: { state: string; error?: string } };

  it("a corrupt tokenizer.json → model_config_unreadable", async () => {
    // The vision encoder is the first graph loaded: its faults fail the load before the others are read.
    const { "onnx/vision_encoder.onnx": _vision, ...rest } = poisoned;
    await upload({ ...rest, "tokenizer.json": new TextEncoder().encode('{"model": {"vocab": [tru') });
    const a = await analyze(files, image);
    expectProblem(a, 503, "model_unavailable");
    expect(a.body.reason).toBe("model_config_unreadable");
    expect(a.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await health()).model.state).toBe("failed");
  });

  it("a missing graph file → model_file_missing (the operator sees which in /healthz)", async () => {
    await upload({ "tokenizer.json": poisoned["tokenizer.json"]! });
    const a = await analyze(files, image);
    expectProblem(a, 503, "model_unavailable");
    expect(a.body.reason).toBe("model_file_missing");
    expect((await health()).model.error).toMatch(/vision_encoder\.onnx/);
  });

  it("a truncated graph file → model_graph_unloadable", async () => {
    const vision = poisoned["onnx/vision_encoder.onnx"]!;
    await upload({ "onnx/vision_encoder.onnx": vision.slice(0, Math.floor(vision.length * 0.4)) });
    const a = await analyze(files, image);
    expectProblem(a, 503, "model_unavailable");
    expect(a.body.reason).toBe("model_graph_unloadable");
  });

  it("once the files are right, the next request loads the model and is answered", async () => {
    await upload({ "onnx/vision_encoder.onnx": poisoned["onnx/vision_encoder.onnx"]! });
    const a = await analyze(files, image);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect((await health()).model.state).toBe("ready");
  });
});

describe("onnxruntime throws at run time (graphs poisoned for chosen inputs): 500 naming the step, then correct answers", () => {
  it("in the vision encoder (an image with pure blue pixels)", async () => {
    // 64×48 of pure blue: normalises to 2.64 in the blue channel, over the vision trigger.
    const poison = await analyze(files, solidPng(64, 48, [0, 0, 255]));
    expectProblem(poison, 500, "internal_error");
    expect(poison.body.step).toBe("vision encoder");
    // The same sessions answer the next request, as the unpoisoned model does (same pixels, other instance).
    const { image, twin } = freshPair();
    const next = await analyze(files, image, { task: "<OD>", max_new_tokens: "3" });
    const reference = await analyze(bindings, twin, { task: "<OD>", max_new_tokens: "3" });
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.result).toEqual(reference.body.result);
  });

  it("mid-generation in the decoder (past longer than the trigger)", async () => {
    await failsMidGenerationThenRecovers(files);
  });

  it("a stage's RPC throwing mid-generation (staged deployment): 500 naming the stage, then correct answers", async () => {
    // The split model's first decoder stage carries the same guard as the poisoned decoder above; the API
    // Worker drives it through its Durable Object binding (stage-worker/dev/miniflare.ts). No stage has
    // loaded yet, so the poisoned graph and its manifest entry are what the stages will read.
    for (const [path, bytes] of poisonedSplit.objects) await staged.putModelFile(path, bytes);
    const failed = await failsMidGenerationThenRecovers(staged);
    expect(failed.stage).toBe(poisonedSplit.stageId);
    expect(failed.detail).toContain(`stage ${poisonedSplit.stageId}`);
  });

  /**
   * A <CAPTION> longer than the poisoned decoder's trigger fails in the language model; the next, shorter one
   * on the same image answers as the healthy deployment does. Returns the failure's problem body.
   */
  async function failsMidGenerationThenRecovers(
    target: Pick<ReliabilityWorker, "fetch">,
  ): Promise<Answer["body"]> {
    const { image, twin } = freshPair();
    const long = await analyze(target, image, {
      task: "<CAPTION>",
      max_new_tokens: String(DECODER_TRIGGER_STEP + 6),
    });
    expectProblem(long, 500, "internal_error");
    expect(long.body.step).toBe("language model");
    const short = await analyze(target, image, {
      task: "<CAPTION>",
      max_new_tokens: String(DECODER_TRIGGER_STEP),
    });
    const reference = await analyze(bindings, twin, {
      task: "<CAPTION>",
      max_new_tokens: String(DECODER_TRIGGER_STEP),
    });
    expect(short.status, JSON.stringify(short.body)).toBe(200);
    expect(short.body.result).toEqual(reference.body.result);
    return long.body;
  }
});
