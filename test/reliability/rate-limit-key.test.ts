// The external rate limiter is keyed by the client: the API key once it has been checked, else the address
// Cloudflare reports. Without configured keys, a made-up X-API-Key per request must not buy a fresh budget
// (it did: the presented key was used as the bucket whether or not keys were configured).
import { describe, expect, it } from "vitest";
import { makeApp } from "../worker/node-app";

function appWithLimiter(vars: Record<string, string>) {
  const keys: string[] = [];
  const app = makeApp(vars, { rateLimit: async (key) => (keys.push(key), false) });
  return { app, keys };
}

const post = (headers: Record<string, string>) => ({ method: "POST", headers: { "content-type": "image/png", ...headers }, body: new Uint8Array([1, 2, 3]) });

describe("rate-limit buckets", () => {
  it("without API keys: by address, whatever X-API-Key or Authorization says", async () => {
    const { app, keys } = appWithLimiter({});
    for (let i = 0; i < 4; i++) {
      const res = await app.request("/v1/analyze", post({ "x-api-key": `made-up-${i}`, "cf-connecting-ip": "203.0.113.9" }));
      expect(res.status).toBe(429);
    }
    await app.request("/v1/analyze", post({ authorization: "Bearer also-made-up", "cf-connecting-ip": "203.0.113.9" }));
    expect(new Set(keys)).toEqual(new Set(["ip:203.0.113.9"]));
  });

  it("with API keys: by the (valid) key", async () => {
    const { app, keys } = appWithLimiter({ API_KEYS: "k1,k2" });
    await app.request("/v1/analyze", post({ "x-api-key": "k1", "cf-connecting-ip": "203.0.113.9" }));
    await app.request("/v1/analyze", post({ authorization: "Bearer k2", "cf-connecting-ip": "203.0.113.9" }));
    const refused = await app.request("/v1/analyze", post({ "x-api-key": "nope" }));
    expect(refused.status).toBe(401);
    expect(keys).toEqual(["key:k1", "key:k2"]);
  });
});
