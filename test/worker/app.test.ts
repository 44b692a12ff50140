// The app in Node through app.request(): the OpenAPI document validated against the OpenAPI 3.1 schema, a
// typed hono/client call, CORS, auth, the bounded model queue (429), an engine failure (500 without details),
// and the fast error paths. The model is the tiny one's folder with a scripted engine: nothing here needs
// real inference (the workerd tests run the real thing).
import { photonWasmModule } from "@cf-wasm/photon/node";
import { Validator } from "@seriousme/openapi-schema-validator";
import { hc } from "hono/client";
import { beforeAll, describe, expect, it } from "vitest";
import { readModelFolder } from "../../runtime/model-folder";
import { installPhoton } from "../../runtime/pixels";
import { fileLoader } from "../../runtime-node/load-file";
import { createApp, type AppType } from "../../worker/app";
import { configFromVars } from "../../worker/config";
import { ModelProvider } from "../../worker/model-provider";
import { tinyModelDir } from "../helpers/tiny-model";
import { picturePng } from "./images";
import { demoPage } from "../../worker/demo-page";
import { makeApp } from "./node-app";
import { API_PATHS } from "./shapes";

const PNG = picturePng(40, 30);
const post = (
  path: string,
  body: BodyInit,
  headers: Record<string, string> = { "content-type": "image/png" },
) => ({ method: "POST", headers, body });

beforeAll(() => installPhoton(photonWasmModule));

describe("OpenAPI", () => {
  it("is a valid OpenAPI 3.1 document with every route and the problem schema", async () => {
    const res = await makeApp().request("/openapi.json");
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    // The validator does reject a broken document (a response without its required description).
    const broken = structuredClone(doc);
    delete (broken.paths["/v1/tasks"]!.get!.responses["200"] as { description?: string }).description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(API_PATHS);
    const analyze = doc.paths["/v1/analyze"]!.post!;
    expect(Object.keys(analyze.requestBody!.content).sort()).toEqual([
      "application/json",
      "application/octet-stream",
      "image/*",
      "multipart/form-data",
    ]);
    expect(Object.keys(analyze.responses).sort()).toEqual([
      "200",
      "400",
      "401",
      "413",
      "415",
      "422",
      "429",
      "500",
      "502",
      "503",
      "504",
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["AnalyzeResponse", "Problem", "TaskResult"]),
    );
  });

  it("a typed client call goes through it: GET /v1/tasks and a problem from POST /v1/analyze", async () => {
    const app = makeApp();
    const client = hc<AppType>("http://localhost", {
      fetch: ((input: RequestInfo | URL, init?: RequestInit) => app.request(input, init)) as typeof fetch,
    });
    const tasks = await (await client.v1.tasks.$get()).json();
    expect(tasks.tasks).toHaveLength(15);
    expect(tasks.tasks.find((t) => t.task === "<REGION_TO_OCR>")).toMatchObject({
      slug: "region-to-ocr",
      text_input: "region",
      text_input_rule: "required",
    });
    // form: undefined — see the note in workerd-api.test.ts (zod-openapi's typing of multi-media-type bodies).
    const res = await client.v1.analyze.$post({
      query: {},
      json: { image_url: "http://10.0.0.1/x.png" },
      form: undefined as never,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "url_not_allowed" });
  });
});

describe("the app in Node", () => {
  it("answers CORS preflights for the configured origins and exposes Server-Timing", async () => {
    const app = makeApp({ CORS_ORIGINS: "https://app.example, https://m.example" });
    const pre = await app.request("/v1/analyze", {
      method: "OPTIONS",
      headers: {
        origin: "https://m.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-api-key,content-type",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://m.example");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/x-api-key/);
    const other = await app.request("/v1/tasks", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const res = await makeApp().request("/v1/tasks", { headers: { origin: "https://any.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toMatch(/server-timing/);
  });

  it("requires one of the API keys when configured, compared exactly", async () => {
    const app = makeApp({ API_KEYS: "alpha,beta" });
    const statuses = await Promise.all(
      (
        [
          {},
          { "x-api-key": "alph" },
          { authorization: "Basic alpha" },
          { "x-api-key": "beta" },
          { authorization: "Bearer alpha" },
        ] as Record<string, string>[]
      ).map(async (h) => {
        const r = await app.request(
          "/v1/analyze?task=nope",
          post("/v1/analyze", PNG as BodyInit, { "content-type": "image/png", ...h }),
        );
        return `${r.status} ${((await r.json()) as { code: string }).code}`;
      }),
    );
    // With a valid key the request reaches validation (and fails there, on the task).
    expect(statuses).toEqual([
      "401 unauthorized",
      "401 unauthorized",
      "401 unauthorized",
      "400 unknown_task",
      "400 unknown_task",
    ]);
    expect((await (await makeApp().request("/healthz")).json()) as { auth: boolean }).toMatchObject({
      auth: false,
    });
  });

  it("refuses with 429 when the model queue is full, and turns an engine failure into a bare 500", async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const app = makeApp({ MAX_QUEUE: "0" }, { engineGate: gate });
    const first = app.request("/v1/analyze?num_beams=1", post("/v1/analyze", PNG as BodyInit));
    // Wait until the first request holds the queue.
    for (let i = 0; i < 200; i++) {
      const s = (await (await app.request("/v1/stats")).json()) as { queue_depth: number };
      if (s.queue_depth === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const second = await app.request("/v1/analyze", post("/v1/analyze", picturePng(40, 30, 9) as BodyInit));
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("5");
    expect(await second.json()).toMatchObject({ code: "rate_limited", status: 429 });
    open();
    const failed = await first;
    const text = await failed.text();
    expect(failed.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ code: "internal_error" });
    expect(text).not.toMatch(/secret|\/srv|onnx|at /);
  });

  it("consults an external rate limiter per verified client key before reading the body", async () => {
    const seen: string[] = [];
    const app = makeApp(
      { API_KEYS: "good,blocked" },
      { rateLimit: async (key) => (seen.push(key), !key.endsWith("blocked")) },
    );
    const r = await app.request(
      "/v1/alt-text",
      post("/v1/alt-text", PNG as BodyInit, { "content-type": "image/png", "x-api-key": "blocked" }),
    );
    expect(r.status).toBe(429);
    expect(await r.json()).toMatchObject({ code: "rate_limited" });
    expect(seen).toEqual(["key:blocked"]);
  });

  it("without configured keys, a made-up key does not buy a fresh rate-limit bucket", async () => {
    const seen: string[] = [];
    const app = makeApp({}, { rateLimit: async (key) => (seen.push(key), false) });
    for (const key of ["made-up-1", "made-up-2"]) {
      const r = await app.request(
        "/v1/alt-text",
        post("/v1/alt-text", PNG as BodyInit, {
          "content-type": "image/png",
          "x-api-key": key,
          "cf-connecting-ip": "203.0.113.7",
        }),
      );
      expect(r.status).toBe(429);
    }
    expect(seen).toEqual(["ip:203.0.113.7", "ip:203.0.113.7"]);
  });

  it("the demo page warns when the model is synthetic, and only then", async () => {
    const page = await (await makeApp().request("/")).text();
    expect(page).toContain('id="model-warning"');
    expect(page).toMatch(/random weights/);
    expect(demoPage({ synthetic: false, id: "onnx-community/Florence-2-base-ft" })).not.toContain(
      'id="model-warning"',
    );
    expect(demoPage({ synthetic: true, id: "x<b>y" })).toContain("runs xby with random weights");
  });

  it("reports the model state, limits and counters at /healthz", async () => {
    const app = makeApp({
      MAX_IMAGE_BYTES: "1234",
      DEFAULT_NUM_BEAMS: "1",
      MAX_NEW_TOKENS_CAP: "99",
      DEFAULT_MAX_NEW_TOKENS: "500",
    });
    const h = (await (await app.request("/healthz")).json()) as {
      model: { state: string };
      limits: Record<string, number>;
      stats: Record<string, number>;
    };
    expect(h.model.state).toBe("idle");
    expect(h.limits).toMatchObject({
      max_image_bytes: 1234,
      default_num_beams: 1,
      max_new_tokens_cap: 99,
      default_max_new_tokens: 99,
    });
    expect(h.stats).toMatchObject({ vision_runs: 0, feature_hits: 0, result_hits: 0 });
  });

  it("validates options before reading or fetching the image", async () => {
    let fetched = false;
    const dir = tinyModelDir();
    const model = new ModelProvider({
      loadFolder: () => readModelFolder(fileLoader(dir), "tiny"),
      loadEngine: () => Promise.reject(new Error("unused")),
    });
    const app = createApp({
      config: configFromVars({}),
      model,
      featureLevels: [],
      resultLevels: [],
      fetch: (async () => ((fetched = true), new Response("x"))) as typeof fetch,
    });
    const r = await app.request(
      "/v1/analyze",
      post(
        "/v1/analyze",
        JSON.stringify({ image_url: "https://images.example/x.png", task: "<REGION_TO_OCR>" }),
        { "content-type": "application/json" },
      ),
    );
    expect(await r.json()).toMatchObject({ code: "text_input_required" });
    expect(fetched).toBe(false);
  });
});
