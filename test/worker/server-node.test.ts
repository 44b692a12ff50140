// The Node server's own parts: the folder cache standing in for KV, the DNS check of image_url hosts, the
// model choice, and the config parsing shared with the Worker.
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FsStore, keyPath } from "../../server-node/fs-store";
import { publicHostCheck } from "../../server-node/host-check";
import { chooseModelDir } from "../../server-node/model-dir";
import { configFromVars, DEFAULT_CONFIG } from "../../worker/config";
import { ApiError } from "../../worker/problem";

describe("FsStore", () => {
  it("stores bytes under folders named after the key, honours the TTL, and misses cleanly", async () => {
    const root = mkdtempSync(join(tmpdir(), "fs-store-"));
    const store = new FsStore(root);
    const key = "features/v1/synthetic-tiny+int8/px1/abc123";
    expect(await store.get(key)).toBeNull();
    await store.put(key, new Uint8Array([1, 2, 3]), 60);
    expect(Array.from((await store.get(key))!)).toEqual([1, 2, 3]);
    expect(readdirSync(join(root, "features", "v1", "synthetic-tiny+int8", "px1"))).toEqual(["abc123"]);
    await store.put(key, new Uint8Array([9]), -1);
    expect(await store.get(key)).toBeNull();
    expect(readdirSync(join(root, "features", "v1", "synthetic-tiny+int8", "px1"))).toEqual([]);
    writeFileSync(join(root, "short"), new Uint8Array(3));
    expect(await store.get("short")).toBeNull();
  });

  it("never lets a key leave the root", () => {
    expect(keyPath("../../etc/passwd")).toBe(join("_", "_", "etc", "passwd"));
    expect(keyPath("a/./b//c")).toBe(join("a", "_", "b", "_", "c"));
    expect(keyPath("results/v1/m:1/x?y")).toBe(join("results", "v1", "m_1", "x_y"));
  });
});

describe("publicHostCheck", () => {
  const code = async (p: Promise<void>) =>
    p.then(
      () => "ok",
      (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
    );

  it("refuses a name that resolves to a loopback address, allows it when private targets are allowed", async () => {
    expect(await code(publicHostCheck(false)("localhost"))).toBe("url_not_allowed");
    expect(await code(publicHostCheck(true)("localhost"))).toBe("ok");
  });

  it("reports an unresolvable name as url_fetch_failed and leaves IP literals to the URL policy", async () => {
    expect(await code(publicHostCheck(false)("no-such-host.invalid"))).toBe("url_fetch_failed");
    expect(await code(publicHostCheck(false)("[2606:4700::1]"))).toBe("ok");
  });
});

describe("chooseModelDir", () => {
  it("prefers --model, then FLORENCE_MODEL_DIR", () => {
    expect(chooseModelDir("/models/a", { FLORENCE_MODEL_DIR: "/models/b" })).toEqual({
      dir: "/models/a",
      reason: "--model",
    });
    expect(chooseModelDir(undefined, { FLORENCE_MODEL_DIR: "/models/b" })).toEqual({
      dir: "/models/b",
      reason: "FLORENCE_MODEL_DIR",
    });
    expect(chooseModelDir(undefined, {}).reason).toMatch(/^default: /);
  });
});

describe("configFromVars", () => {
  it("uses the documented defaults", () => {
    expect(configFromVars({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      maxImageBytes: 20 * 1024 * 1024,
      minImageSide: 16,
      maxImageSide: 16000,
      defaultNumBeams: 3,
      maxNewTokensCap: 1024,
    });
  });

  it("reads every variable, and ignores malformed ones rather than failing", () => {
    const c = configFromVars({
      MAX_IMAGE_BYTES: "1000",
      MAX_IMAGE_PIXELS: "12.5",
      DEFAULT_NUM_BEAMS: "4",
      DEFAULT_MAX_NEW_TOKENS: "300",
      MAX_NEW_TOKENS_CAP: "256",
      CORS_ORIGINS: " https://a.example ,https://b.example,",
      API_KEYS: "k1, k2",
      ALLOW_PRIVATE_URLS: "true",
      FEATURE_TTL_SECONDS: "30",
      FEATURE_DTYPE: "fp32",
      MAX_QUEUE: "0",
    });
    expect(c).toMatchObject({
      maxImageBytes: 1000,
      maxImagePixels: DEFAULT_CONFIG.maxImagePixels,
      defaultNumBeams: DEFAULT_CONFIG.defaultNumBeams,
      defaultMaxNewTokens: 256,
      maxNewTokensCap: 256,
      corsOrigins: ["https://a.example", "https://b.example"],
      apiKeys: ["k1", "k2"],
      allowPrivateUrls: true,
      featureTtlSeconds: DEFAULT_CONFIG.featureTtlSeconds,
      featureDtype: "fp32",
      maxQueue: 0,
    });
  });
});
