// Every error case of the issue, answered by the real Worker in workerd as RFC 9457 problem+json with its
// stable code and status, and never a stack trace. Two instances: one with the tiny model and small limits
// (input, task, image and image_url errors), one with API keys, a rate limiter and an empty model bucket
// (unauthorized, rate_limited, model_unavailable).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModelDir } from "../helpers/tiny-model";
import { CASES, ERROR_CASE_VARS, expectProblem, outbound, PNG } from "./error-cases";
import { apiBundle, startApiWorker, type ApiWorker } from "./miniflare-worker";

let worker: ApiWorker;
let locked: ApiWorker;

beforeAll(async () => {
  const bundle = await apiBundle();
  [worker, locked] = await Promise.all([
    startApiWorker({ bundle, modelDir: tinyModelDir(), vars: ERROR_CASE_VARS, outbound }),
    startApiWorker({ bundle, vars: { API_KEYS: "key-one, key-two" }, rateLimit: 3 }),
  ]);
});

afterAll(async () => {
  await Promise.all([worker?.dispose(), locked?.dispose()]);
});

const raw = (body: Uint8Array) => ({
  method: "POST",
  headers: { "content-type": "image/png" },
  body: body as BodyInit,
});

describe("problem+json from the Worker in workerd", () => {
  it.each(CASES)("$name → $status $code", async ({ path, init, status, code }) => {
    await expectProblem(await worker.fetch(path ?? "/v1/analyze", init), status, code);
  });

  it("still answers normally after all of that", async () => {
    const res = await worker.fetch("/v1/analyze?num_beams=1", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: PNG as Uint8Array<ArrayBuffer>,
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("without a key (keys configured) → 401 unauthorized with a challenge; open routes stay open", async () => {
    const body = await expectProblem(await locked.fetch("/v1/analyze", raw(PNG)), 401, "unauthorized");
    expect(body.detail).toMatch(/API key/);
    const wrong = await locked.fetch("/v1/analyze", {
      ...raw(PNG),
      headers: { "content-type": "image/png", authorization: "Bearer nope" },
    });
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectProblem(wrong, 401, "unauthorized");
    expect((await locked.fetch("/v1/tasks")).status).toBe(200);
    expect((await locked.fetch("/healthz")).status).toBe(200);
  });

  it("a valid key with no model in R2 → 503 model_unavailable with Retry-After; /healthz shows the failure", async () => {
    for (const headers of [{ authorization: "Bearer key-one" }, { "x-api-key": "key-two" }] as Record<
      string,
      string
    >[]) {
      const res = await locked.fetch("/v1/analyze", {
        ...raw(PNG),
        headers: { "content-type": "image/png", ...headers },
      });
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      await expectProblem(res, 503, "model_unavailable");
    }
    const health = (await (await locked.fetch("/healthz")).json()) as {
      model: { state: string; error?: string };
      auth: boolean;
    };
    expect(health.auth).toBe(true);
    expect(health.model.state).toBe("failed");
    expect(health.model.error).toMatch(/not in the MODEL bucket/);
  });

  it("past the rate limiter's budget for a client → 429 rate_limited", async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await locked.fetch("/v1/alt-text", {
        ...raw(PNG),
        headers: { "content-type": "image/png", "x-api-key": "key-one" },
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(limited, `statuses ${statuses.join(",")}`).toBeDefined();
    await expectProblem(limited!, 429, "rate_limited");
    // Another client (key) has its own budget.
    const other = await locked.fetch("/v1/alt-text", {
      ...raw(PNG),
      headers: { "content-type": "image/png", "x-api-key": "key-two" },
    });
    expect(other.status).toBe(503);
  });
});
