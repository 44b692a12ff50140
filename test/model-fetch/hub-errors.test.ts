// What the user sees when the Hub cannot be reached, refuses access, or lacks the repo, revision or a file.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  fetchModel,
  HubAuthError,
  HubNotFoundError,
  HubUnreachableError,
  type FetchModelOptions,
} from "../../model-fetch";
import { tinyModelDir } from "../helpers/tiny-model";
import { FakeHub } from "./fake-hub";

const REPO = "onnx-community/Florence-2-base-ft";
let scratch: string;
let n = 0;
const hubs: FakeHub[] = [];

beforeEach(() => {
  // A developer's own Hub settings must not leak into these runs.
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
});
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "model-fetch-errors-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function startHub(opts: Partial<Parameters<typeof FakeHub.start>[0]> = {}): Promise<FakeHub> {
  const hub = await FakeHub.start({ repo: REPO, dir: tinyModelDir(), ...opts });
  hubs.push(hub);
  return hub;
}

function fetchInto(opts: FetchModelOptions) {
  return fetchModel({ dest: join(scratch, `d${n++}`), onEvent: () => {}, retryDelayMs: 5, ...opts });
}

async function failure(run: Promise<unknown>): Promise<Error> {
  const e = await run.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error("expected the fetch to fail");
  return e;
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("an unreachable Hub", () => {
  it("HF_ENDPOINT at a closed port: HubUnreachableError, quickly, with a plain message", async () => {
    const port = await closedPort();
    vi.stubEnv("HF_ENDPOINT", `http://127.0.0.1:${port}/`);
    const t = performance.now();
    const e = await failure(fetchInto({}));
    expect(performance.now() - t).toBeLessThan(15_000);
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect(e.message).toMatch(
      new RegExp(`^cannot reach the Hugging Face Hub at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });

  it("a host that does not resolve: HubUnreachableError naming the DNS failure", async () => {
    const e = await failure(fetchInto({ hubUrl: "http://hub.invalid" }));
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect(e.message).toContain("cannot reach the Hugging Face Hub at http://hub.invalid: DNS lookup failed");
  });

  it("a server that accepts connections and never answers: HubUnreachableError after the connect timeout", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const t = performance.now();
      const e = await failure(fetchInto({ hubUrl: url, connectTimeoutMs: 400 }));
      const ms = performance.now() - t;
      expect(e).toBeInstanceOf(HubUnreachableError);
      expect(e.message).toBe(`cannot reach the Hugging Face Hub at ${url}: no response within 400 ms`);
      expect(ms).toBeGreaterThanOrEqual(390);
      expect(ms).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("a connection that keeps dropping: HubUnreachableError once the retries are spent", async () => {
    const hub = await startHub();
    for (let i = 0; i < 3; i++) hub.dropAfter("onnx/vision_encoder.onnx", 100_000 * (i + 1));
    const e = await failure(fetchInto({ hubUrl: hub.url, retries: 2 }));
    expect(e).toBeInstanceOf(HubUnreachableError);
    expect(e.message).toMatch(
      /downloading onnx\/vision_encoder\.onnx failed 3 times; last error: terminated/,
    );
  });
});

describe("Hub answers that name the problem", () => {
  it("404 for the repo", async () => {
    const hub = await startHub();
    const e = await failure(fetchInto({ hubUrl: hub.url, repo: "nobody/no-such-model" }));
    expect(e).toBeInstanceOf(HubNotFoundError);
    expect((e as HubNotFoundError).kind).toBe("repo");
    expect(e.message).toBe(`repository nobody/no-such-model not found on ${hub.url}`);
  });

  it("404 for the revision", async () => {
    const hub = await startHub();
    const e = await failure(fetchInto({ hubUrl: hub.url, revision: "v9" }));
    expect(e).toBeInstanceOf(HubNotFoundError);
    expect((e as HubNotFoundError).kind).toBe("revision");
    expect(e.message).toBe(`revision "v9" not found in ${REPO} on ${hub.url}`);
  });

  it("a repo without a required file", async () => {
    const hub = await startHub({ exclude: (p) => p === "onnx/encoder_model.onnx" || p === "tokenizer.json" });
    const e = await failure(fetchInto({ hubUrl: hub.url }));
    expect(e).toBeInstanceOf(HubNotFoundError);
    expect(e.message).toContain("lacks required files tokenizer.json, onnx/encoder_model.onnx");
  });

  it("401 without a token tells the user to set HF_TOKEN", async () => {
    const hub = await startHub({ token: "hf_secret" });
    const e = await failure(fetchInto({ hubUrl: hub.url }));
    expect(e).toBeInstanceOf(HubAuthError);
    expect((e as HubAuthError).status).toBe(401);
    expect(e.message).toContain("401 Unauthorized: no HF_TOKEN is set");
  });

  it("401 with a wrong token says it was rejected", async () => {
    const hub = await startHub({ token: "hf_secret" });
    const e = await failure(fetchInto({ hubUrl: hub.url, accessToken: "hf_wrong" }));
    expect(e).toBeInstanceOf(HubAuthError);
    expect(e.message).toContain("HF_TOKEN was sent and rejected");
  });

  it("403 for a token without access to a gated repo", async () => {
    const hub = await startHub({ token: "hf_secret", forbiddenToken: "hf_other" });
    const e = await failure(fetchInto({ hubUrl: hub.url, accessToken: "hf_other" }));
    expect(e).toBeInstanceOf(HubAuthError);
    expect((e as HubAuthError).status).toBe(403);
    expect(e.message).toContain("has no read access");
  });

  it("a token that is not a Hugging Face token is refused before any request", async () => {
    vi.stubEnv("HF_TOKEN", "ghp_notahftoken");
    const hub = await startHub();
    await expect(fetchInto({ hubUrl: hub.url })).rejects.toThrow(
      /HF_TOKEN is not a Hugging Face access token/,
    );
    expect(hub.requests).toEqual([]);
  });

  it("HF_TOKEN from the environment is sent to the Hub", async () => {
    vi.stubEnv("HF_TOKEN", "hf_secret");
    const hub = await startHub({ token: "hf_secret" });
    const result = await fetchInto({ hubUrl: hub.url });
    expect(result.downloaded.length).toBe(10);
    const toHub = hub.requests.filter((r) => !r.path.startsWith("/cdn-lfs/"));
    expect(toHub.every((r) => r.authorization === "Bearer hf_secret")).toBe(true);
  });

  it("HF_TOKEN is not sent to a CDN on another origin", async () => {
    vi.stubEnv("HF_TOKEN", "hf_secret");
    // The same server under another host name is another origin, as cdn-lfs.hf.co is for huggingface.co.
    const hub = await startHub({ token: "hf_secret", cdnHost: "localhost" });
    const result = await fetchInto({ hubUrl: hub.url });
    expect(result.downloaded.length).toBe(10);
    const toCdn = hub.requests.filter((r) => r.path.startsWith("/cdn-lfs/"));
    expect(toCdn.length).toBeGreaterThan(0);
    expect(toCdn.every((r) => r.authorization === undefined)).toBe(true);
    expect(
      hub.requests
        .filter((r) => !r.path.startsWith("/cdn-lfs/"))
        .every((r) => r.authorization === "Bearer hf_secret"),
    ).toBe(true);
  });
});
