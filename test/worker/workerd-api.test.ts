// The real Worker bundle (worker/index.ts) in workerd, with local R2 holding the tiny synthetic model, local KV
// and the Cache API: every task end to end, the feature cache (second request skips the vision encoder),
// the result cache, a corrupt KV entry, concurrent identical requests, all image input forms, image_url via
// a stand-in internet, alt text, and a typed hono/client call. One Miniflare instance; the model loads once.
import { hc } from "hono/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASKS, TASK_TOKENS, type TaskToken } from "../../runtime/prompt/tasks";
import type { AppType } from "../../worker/app";
import { decodeFeatures } from "../../worker/cache/feature-codec";
import { cacheApiUrl, featureKey } from "../../worker/cache/keys";
import { tinyModelDir } from "../helpers/tiny-model";
import { picturePng, toBase64 } from "./images";
import { startApiWorker, type ApiWorker } from "./miniflare-worker";
import { API_PATHS, expectAnalyzeShape, serverTiming, type AnalyzeBody } from "./shapes";

const MAX_NEW_TOKENS = 12;
const IMAGE = picturePng(96, 64);
const IMAGE_URL = "https://images.example/picture.png";

let worker: ApiWorker;
const outboundLog: string[] = [];

beforeAll(async () => {
  worker = await startApiWorker({
    modelDir: tinyModelDir(),
    modelPrefix: "florence-2-tiny/",
    vars: { DEFAULT_MAX_NEW_TOKENS: String(MAX_NEW_TOKENS), MAX_NEW_TOKENS_CAP: "64" },
    outbound: (req) => {
      outboundLog.push(req.url);
      if (req.url === IMAGE_URL)
        return new Response(IMAGE as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } });
      if (req.url === "https://images.example/moved")
        return new Response(null, { status: 302, headers: { location: "/picture.png" } });
      return new Response("not found", { status: 404 });
    },
  });
  console.log(
    `worker bundle: JS ${(worker.bundle.sizes.js / 1e6).toFixed(2)} MB + wasm ${(worker.bundle.sizes.wasm / 1e6).toFixed(2)} MB`,
  );
});

afterAll(async () => {
  await worker?.dispose();
});

type Counter =
  "vision_runs" | "model_runs" | "feature_hits" | "feature_corrupt" | "result_hits" | "shared_in_flight";
type Stats = Record<Counter, number> & { hits_by_level: Record<string, number> };
const stats = async (): Promise<Stats> => (await (await worker.fetch("/v1/stats")).json()) as Stats;

async function analyze(
  image: Uint8Array,
  query: Record<string, string>,
): Promise<{ res: Response; body: AnalyzeBody }> {
  const res = await worker.fetch(`/v1/analyze?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: image as Uint8Array<ArrayBuffer>,
  });
  const body = (await res.json()) as AnalyzeBody;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return { res, body };
}

/** A valid text_input for each task kind: free text, a pixel box, or `<loc_>` tokens. */
function inputFor(task: TaskToken, i: number): Record<string, string> {
  const kind = TASKS[task].input;
  if (kind === "text") return { text_input: "a bright rectangle" };
  if (kind === "region")
    return { text_input: i % 2 === 0 ? "[10, 8, 60, 40]" : "<loc_100><loc_120><loc_700><loc_800>" };
  return {};
}

const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("the API Worker in workerd (tiny synthetic model)", () => {
  it("runs every task end to end; only the first request for the image runs the vision encoder", async () => {
    const before = await stats();
    const latencies: string[] = [];
    for (const [i, task] of TASK_TOKENS.entries()) {
      // Tokens and slugs are both accepted.
      const { res, body } = await analyze(IMAGE, {
        task: i % 2 === 0 ? task : TASKS[task].slug,
        ...inputFor(task, i),
      });
      expectAnalyzeShape(body, task);
      expect(body.image).toMatchObject({ width: 96, height: 64 });
      expect(body.cache).toEqual({ features: i === 0 ? "miss" : "hit", result: "miss" });
      const header = serverTiming(res.headers.get("server-timing"));
      expect(Object.keys(header)).toEqual(
        expect.arrayContaining(["hash", "encoder", "decoder", "parse", "total"]),
      );
      // The vision step appears in the timings only when it ran.
      expect("vision" in body.timings).toBe(i === 0);
      latencies.push(`${task} ${body.cache.features} ${Math.round(body.timings.total!)} ms`);
    }
    const after = await stats();
    expect(after.vision_runs - before.vision_runs).toBe(1);
    expect(after.model_runs - before.model_runs).toBe(TASK_TOKENS.length);
    expect(after.feature_hits - before.feature_hits).toBe(TASK_TOKENS.length - 1);
    console.log(`workerd, tiny model, ${MAX_NEW_TOKENS} new tokens, 3 beams:\n  ${latencies.join("\n  ")}`);
  });

  it("answers an identical request from the result cache without running the model", async () => {
    const first = await analyze(IMAGE, { task: "<OD>", num_beams: "1" });
    const before = await stats();
    const second = await analyze(IMAGE, { task: "od", num_beams: "1" });
    const after = await stats();
    expect(second.body.cache).toEqual({ features: "skipped", result: "hit" });
    expect(second.body.result).toEqual(first.body.result);
    expect(after.model_runs).toBe(before.model_runs);
    expect(after.result_hits - before.result_hits).toBe(1);
    expect(second.body.timings.decoder).toBeUndefined();
    console.log(
      `<OD> greedy: first ${first.body.cache.features}/${first.body.cache.result} ${first.body.timings.total} ms; result hit ${second.body.timings.total} ms`,
    );
  });

  it("measures a request that misses both caches, one that hits the features, one that hits the result", async () => {
    const image = picturePng(96, 64, 91);
    const miss = await analyze(image, { task: "<CAPTION>" });
    const featureHit = await analyze(image, { task: "<MORE_DETAILED_CAPTION>" });
    const resultHit = await analyze(image, { task: "<CAPTION>" });
    expect([miss.body.cache, featureHit.body.cache, resultHit.body.cache]).toEqual([
      { features: "miss", result: "miss" },
      { features: "hit", result: "miss" },
      { features: "skipped", result: "hit" },
    ]);
    const fmt = (t: Record<string, number>) =>
      Object.entries(t)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    console.log(
      `latency in workerd (tiny, ${MAX_NEW_TOKENS} tokens, 3 beams):\n  miss: ${fmt(miss.body.timings)}\n  feature hit: ${fmt(featureHit.body.timings)}\n  result hit: ${fmt(resultHit.body.timings)}`,
    );
    expect(featureHit.body.timings.vision).toBeUndefined();
  });

  it("detects a corrupt KV entry, recomputes, answers correctly and overwrites it", async () => {
    const image = picturePng(80, 80, 33);
    const first = await analyze(image, { task: "<CAPTION>", num_beams: "1" });
    const key = featureKey(first.body.model.version, first.body.image.sha256);
    const kv = await worker.mf.getKVNamespace("FEATURES");
    const read = async () => {
      const buf = await kv.get(key, "arrayBuffer");
      return buf ? new Uint8Array(buf) : null;
    };
    await until(async () => (await read()) !== null, "the KV write");
    const good = (await read())!;
    expect((await decodeFeatures(good, key)).ok).toBe(true);

    // Flip one payload byte in KV, and drop the per-location copy, as for a request served elsewhere.
    const bad = good.slice();
    bad[bad.length - 3]! ^= 0x5a;
    await kv.put(key, bad);
    const caches = await worker.mf.getCaches();
    expect(await caches.default.delete(cacheApiUrl(key))).toBe(true);

    const before = await stats();
    const second = await analyze(image, { task: "<OD>", num_beams: "1" });
    const after = await stats();
    expectAnalyzeShape(second.body, "<OD>");
    expect(second.body.cache.features).toBe("miss");
    expect(after.feature_corrupt - before.feature_corrupt).toBe(1);
    expect(after.vision_runs - before.vision_runs).toBe(1);

    // Overwritten with a valid entry: byte-identical to the first (same image, same deterministic features).
    await until(async () => (await decodeFeatures((await read())!, key)).ok, "the KV entry to be rewritten");
    expect(await read()).toEqual(good);
    await caches.default.delete(cacheApiUrl(key));
    const third = await analyze(image, { task: "<OCR>", num_beams: "1" });
    expect(third.body.cache.features).toBe("hit");
    expect((await stats()).hits_by_level.kv).toBeGreaterThan(0);
  });

  it("shares one computation between concurrent identical requests", async () => {
    const image = picturePng(64, 64, 55);
    const before = await stats();
    const [a, b] = await Promise.all([
      analyze(image, { task: "<OCR>", num_beams: "1" }),
      analyze(image, { task: "<OCR>", num_beams: "1" }),
    ]);
    const after = await stats();
    expect(a.body.result).toEqual(b.body.result);
    expect(after.vision_runs - before.vision_runs).toBe(1);
    expect(after.model_runs - before.model_runs).toBe(1);
    // The second request either joined the first one in flight or, when workerd delivered it only after the
    // first finished (the tiny model's compute does not yield to new requests), was answered by the result
    // cache; both avoid a second computation, which is what the counters above check. (SingleFlight itself:
    // tiered-cache.test.ts.)
    const joined = after.shared_in_flight - before.shared_in_flight;
    const fromCache = [a, b].filter((r) => r.body.cache.result === "hit").length;
    expect(joined + fromCache).toBeGreaterThanOrEqual(1);
  });

  it("accepts the image as multipart, base64 JSON and image_url (redirect followed), all as the same image", async () => {
    const form = new FormData();
    form.set("image", new Blob([IMAGE as Uint8Array<ArrayBuffer>], { type: "image/png" }), "picture.png");
    form.set("task", "caption");
    // Serialised here: Miniflare's fetch does not know Node's FormData class (another undici instance).
    const encoded = new Response(form);
    const multipart = await worker.fetch("/v1/analyze", {
      method: "POST",
      headers: { "content-type": encoded.headers.get("content-type")! },
      body: await encoded.arrayBuffer(),
    });
    const base64 = await worker.fetch("/v1/analyze", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_base64: `data:image/png;base64,${toBase64(IMAGE)}`, task: "<CAPTION>" }),
    });
    const url = await worker.fetch("/v1/analyze", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: "https://images.example/moved", task: "caption" }),
    });
    const bodies = (await Promise.all([multipart, base64, url].map((r) => r.json()))) as AnalyzeBody[];
    expect([multipart.status, base64.status, url.status], JSON.stringify(bodies)).toEqual([200, 200, 200]);
    const expectedSha = Buffer.from(
      await crypto.subtle.digest("SHA-256", IMAGE as Uint8Array<ArrayBuffer>),
    ).toString("hex");
    for (const b of bodies) {
      expect(b.image.sha256).toBe(expectedSha);
      expect(b.cache.features === "hit" || b.cache.result === "hit").toBe(true);
    }
    expect(outboundLog).toEqual(expect.arrayContaining(["https://images.example/moved", IMAGE_URL]));
  });

  it("makes alt text from a caption: one sentence, capitalised, ending with a period, within max_length", async () => {
    const res = await worker.fetch("/v1/alt-text?max_length=40", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: IMAGE as Uint8Array<ArrayBuffer>,
    });
    const body = (await res.json()) as {
      alt_text: string;
      caption: string;
      task: string;
      cache: { features: string };
    };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.task).toBe("<CAPTION>");
    expect(body.cache.features).not.toBe("miss");
    expect(body.alt_text.length).toBeLessThanOrEqual(40);
    // The tiny model's caption is mostly special tokens; whatever words remain must follow the rules.
    if (body.alt_text !== "") {
      expect(body.alt_text).toMatch(/^[^a-z].*\.$/u);
      expect(body.alt_text).not.toMatch(/</);
    }
  });

  it("serves the OpenAPI 3.1 document, the task list and the demo page", async () => {
    const doc = (await (await worker.fetch("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(API_PATHS);
    const page = await worker.fetch("/");
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('id="overlay"');
  });

  it("a typed hono/client call goes through the Worker", async () => {
    const client = hc<AppType>("http://api.test", {
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        worker.mf.dispatchFetch(String(input), init as never)) as typeof fetch,
    });
    const tasks = await client.v1.tasks.$get();
    expect(tasks.status).toBe(200);
    const list = await tasks.json();
    expect(list.tasks.map((t) => t.task)).toEqual(TASK_TOKENS);
    // zod-openapi types a body with several media types as needing both `json` and `form`; form: undefined
    // sends JSON only (hono/client skips an absent form), and query/json stay fully typed.
    const res = await client.v1.analyze.$post({
      query: {},
      json: { image_base64: toBase64(IMAGE), task: "region-to-category", text_input: [10, 8, 60, 40] },
      form: undefined as never,
    });
    expect(res.status).toBe(200);
    if (res.status === 200) {
      const body = await res.json();
      expect(body.task).toBe("<REGION_TO_CATEGORY>");
      expect(typeof body.result["<REGION_TO_CATEGORY>"]).toBe("string");
    }
  });
});
