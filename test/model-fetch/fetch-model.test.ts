// model-fetch against the fake Hub: complete downloads, resumes, integrity failures, state reuse.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  fetchModel,
  HubUnreachableError,
  IntegrityError,
  readState,
  type FetchEvent,
  type FetchModelOptions,
} from "../../model-fetch";
import { tinyModelDir } from "../helpers/tiny-model";
import { FakeHub } from "./fake-hub";
import { MODEL_FOLDER_FILES } from "./model-folder-files";

const REPO = "onnx-community/Florence-2-base-ft";
const BIG = "onnx/vision_encoder.onnx";

let source: string;
let scratch: string;
const hubs: FakeHub[] = [];

beforeEach(() => {
  // A developer's own Hub settings must not leak into these runs.
  vi.stubEnv("HF_TOKEN", "");
  vi.stubEnv("HF_HUB_OFFLINE", "");
});
beforeAll(() => {
  source = tinyModelDir();
  scratch = mkdtempSync(join(tmpdir(), "model-fetch-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function startHub(opts: Partial<Parameters<typeof FakeHub.start>[0]> = {}): Promise<FakeHub> {
  const hub = await FakeHub.start({ repo: REPO, dir: source, ...opts });
  hubs.push(hub);
  return hub;
}

let destCount = 0;
function freshDest(): string {
  return join(scratch, `dest-${destCount++}`);
}

/** fetchModel against `hub`, recording events instead of printing them. */
async function fetchFrom(hub: FakeHub, dest: string, extra: Partial<FetchModelOptions> = {}) {
  const events: FetchEvent[] = [];
  const run = fetchModel({
    hubUrl: hub.url,
    dest,
    retryDelayMs: 5,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { run, events };
}

function expectSameAsSource(dest: string, paths: string[] = MODEL_FOLDER_FILES, from = source): void {
  for (const p of paths)
    expect(readFileSync(join(dest, p)).equals(readFileSync(join(from, p))), p).toBe(true);
}

describe("fetchModel against a fake Hub", () => {
  it("downloads exactly the model files, byte for byte, and nothing else", async () => {
    const hub = await startHub();
    const dest = freshDest();
    const { run, events } = await fetchFrom(hub, dest);
    const result = await run;
    expectSameAsSource(dest);
    expect([...result.downloaded].sort()).toEqual([...MODEL_FOLDER_FILES].sort());
    expect(result.offline).toBe(false);
    expect(result.missingOptional).toEqual([]);
    // florence_edge.json is in the repo but is not part of the model folder.
    expect(existsSync(join(dest, "florence_edge.json"))).toBe(false);
    expect(hub.transfers().some((r) => r.path.includes("florence_edge"))).toBe(false);
    // LFS files were checked against sha256, regular files against git's blob id.
    const checks = Object.fromEntries(
      events.flatMap((e) => (e.type === "file-done" ? [[e.path, e.check]] : [])),
    );
    expect(checks[BIG]).toBe("sha256");
    expect(checks["config.json"]).toBe("git-sha1");
    expect(readState(dest)?.complete).toBe(true);
    expect(existsSync(join(dest, `${BIG}.incomplete`))).toBe(false);
  });

  it("a second run downloads nothing and hashes nothing", async () => {
    const hub = await startHub();
    const dest = freshDest();
    await (
      await fetchFrom(hub, dest)
    ).run;
    hub.requests.length = 0;
    const { run, events } = await fetchFrom(hub, dest);
    const result = await run;
    expect(result.downloaded).toEqual([]);
    expect(result.downloadedBytes).toBe(0);
    expect(hub.requests.every((r) => r.path.startsWith("/api/models/"))).toBe(true);
    const skips = events.filter((e) => e.type === "file-skip");
    expect(skips.map((e) => (e.type === "file-skip" ? e.why : ""))).toEqual(
      MODEL_FOLDER_FILES.map(() => "verified earlier"),
    );
  });

  it("resumes a dropped transfer with a Range request from the byte where it stopped", async () => {
    const hub = await startHub();
    const cut = 1_000_003;
    hub.dropAfter(BIG, cut);
    const dest = freshDest();
    const { run, events } = await fetchFrom(hub, dest);
    await run;
    expectSameAsSource(dest);
    // The resume point is what the client kept: normally all `cut` bytes (see FakeHub.dropAfter on why
    // it can be fewer), never more, and the next request asks for exactly the rest.
    const retry = events.find((e) => e.type === "retry");
    const kept = retry?.type === "retry" ? retry.resumeFrom : -1;
    expect(retry).toMatchObject({ path: BIG, attempt: 1 });
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    const big = hub.transfers().filter((r) => r.path === `/cdn-lfs/${hub.files.get(BIG)!.sha256}`);
    expect(big.map((r) => [r.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${kept}-`, 206],
    ]);
  });

  it("resumes a previous run's partial file after a restart", async () => {
    const hub = await startHub();
    const cut = 2_000_000;
    hub.dropAfter(BIG, cut);
    const dest = freshDest();
    const first = await fetchFrom(hub, dest, { retries: 0 });
    await expect(first.run).rejects.toBeInstanceOf(HubUnreachableError);
    const kept = readFileSync(join(dest, `${BIG}.incomplete`)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    expect(readState(dest)?.complete).toBe(false);

    hub.requests.length = 0;
    const second = await fetchFrom(hub, dest);
    const result = await second.run;
    expectSameAsSource(dest);
    // Files finished in the first run were not fetched again; the big one continued at the cut.
    expect(result.downloaded).toContain(BIG);
    expect(result.downloaded).not.toContain("config.json");
    expect(second.events).toContainEqual({
      type: "file-start",
      path: BIG,
      size: hub.files.get(BIG)!.size,
      resumeFrom: kept,
    });
    expect(
      hub
        .transfers()
        .filter((r) => r.path.startsWith("/cdn-lfs/"))
        .map((r) => r.range),
    ).toEqual([`bytes=${kept}-`]);
  });

  it("aborts a stalled transfer and resumes it", async () => {
    const hub = await startHub();
    hub.stallAfter(BIG, 500_000);
    const dest = freshDest();
    // Long enough that a loaded machine's pauses between chunks are not taken for stalls.
    const { run, events } = await fetchFrom(hub, dest, { stallTimeoutMs: 1500 });
    await run;
    expectSameAsSource(dest);
    const retries = events.filter((e) => e.type === "retry");
    expect(retries).toContainEqual(expect.objectContaining({ path: BIG, error: "no data for 1.5 s" }));
    const stalled = retries.find((e) => e.type === "retry" && e.error.startsWith("no data"));
    expect(stalled?.type === "retry" && stalled.resumeFrom).toBeLessThanOrEqual(500_000);
    expect(stalled?.type === "retry" && stalled.resumeFrom).toBeGreaterThan(0);
  });

  it("starts over when the server answers a resume with the whole file", async () => {
    const hub = await startHub();
    hub.dropAfter(BIG, 700_000);
    hub.ignoreRange = true;
    const dest = freshDest();
    await (
      await fetchFrom(hub, dest)
    ).run;
    expectSameAsSource(dest);
    expect(hub.transfers()).toContainEqual(expect.objectContaining({ range: "bytes=700000-", status: 200 }));
  });

  it("detects a corrupted download, deletes it and reports it", async () => {
    const hub = await startHub();
    const bad = "onnx/encoder_model.onnx";
    hub.corrupt(bad);
    const dest = freshDest();
    const { run, events } = await fetchFrom(hub, dest);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).path).toBe(bad);
    expect((err as IntegrityError).expected).toBe(`sha256 ${hub.files.get(bad)!.sha256}`);
    expect(existsSync(join(dest, bad))).toBe(false);
    expect(existsSync(join(dest, `${bad}.incomplete`))).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: "corrupt", path: bad, redownload: false }));
    expect(readState(dest)?.complete).toBe(false);
  });

  it("checks regular files against git's blob id", async () => {
    const hub = await startHub();
    hub.corrupt("tokenizer.json");
    const err = await (await fetchFrom(hub, freshDest())).run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).expected).toBe(`git-sha1 ${hub.files.get("tokenizer.json")!.gitOid}`);
  });

  it("re-hashes a file changed on disk since it was verified, and downloads it again", async () => {
    const hub = await startHub();
    const dest = freshDest();
    await (
      await fetchFrom(hub, dest)
    ).run;
    const path = join(dest, "onnx/embed_tokens.onnx");
    const bytes = readFileSync(path);
    bytes[1000] = bytes[1000]! ^ 1;
    writeFileSync(path, bytes); // same size, new mtime
    const { run, events } = await fetchFrom(hub, dest);
    const result = await run;
    expect(result.downloaded).toEqual(["onnx/embed_tokens.onnx"]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "corrupt", path: "onnx/embed_tokens.onnx", redownload: true }),
    );
    expectSameAsSource(dest);
  });

  it("does not resume a partial file it cannot tie to this content", async () => {
    const hub = await startHub();
    const dest = freshDest();
    mkdirSync(join(dest, "onnx"), { recursive: true });
    writeFileSync(join(dest, `${BIG}.incomplete`), randomBytes(10_000)); // no state: origin unknown
    await (
      await fetchFrom(hub, dest)
    ).run;
    expectSameAsSource(dest);
    expect(hub.transfers().some((r) => r.range !== undefined)).toBe(false);
  });

  it("fetches external-data files of the four graphs and skips other variants", async () => {
    const data = randomBytes(300_000);
    const hub = await startHub({
      extraFiles: {
        "onnx/decoder_model_merged.onnx_data": data,
        "onnx/decoder_model_merged_fp16.onnx": randomBytes(1000),
        "onnx/vision_encoder_q4.onnx": randomBytes(1000),
        "onnx/vision_encoder_q4.onnx_data": randomBytes(1000),
        "README.md": Buffer.from("# readme\n"),
      },
      pageSize: 4, // also makes the listing span several pages
    });
    const dest = freshDest();
    const result = await (await fetchFrom(hub, dest)).run;
    expect([...result.downloaded].sort()).toEqual(
      [...MODEL_FOLDER_FILES, "onnx/decoder_model_merged.onnx_data"].sort(),
    );
    expect(readFileSync(join(dest, "onnx/decoder_model_merged.onnx_data")).equals(data)).toBe(true);
    expect(hub.requests.filter((r) => r.path.startsWith("/api/")).length).toBeGreaterThan(3);
  });

  it("reports a missing optional file and still completes", async () => {
    const hub = await startHub({ exclude: (p) => p === "added_tokens.json" });
    const result = await (await fetchFrom(hub, freshDest())).run;
    expect(result.missingOptional).toEqual(["added_tokens.json"]);
    expect(result.downloaded).not.toContain("added_tokens.json");
  });

  it("uses a completed copy when the Hub is gone later", async () => {
    const hub = await startHub();
    const dest = freshDest();
    await (
      await fetchFrom(hub, dest)
    ).run;
    const url = hub.url;
    await hub.close();
    hubs.splice(hubs.indexOf(hub), 1);
    const events: FetchEvent[] = [];
    const result = await fetchModel({ hubUrl: url, dest, onEvent: (e) => events.push(e) });
    expect(result.offline).toBe(true);
    expect(result.files.map((f) => f.path).sort()).toEqual([...MODEL_FOLDER_FILES].sort());
    expect(events[0]).toMatchObject({ type: "offline" });
  });

  it("with HF_HUB_OFFLINE makes no request: uses a complete copy, or fails as unreachable", async () => {
    const hub = await startHub();
    const dest = freshDest();
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    await expect((await fetchFrom(hub, dest)).run).rejects.toThrow(/HF_HUB_OFFLINE is set/);
    expect(existsSync(dest)).toBe(false);
    await (
      await fetchFrom(hub, dest, { offline: false })
    ).run;
    hub.requests.length = 0;
    const result = await (await fetchFrom(hub, dest)).run;
    expect(result.offline).toBe(true);
    expect(hub.requests).toEqual([]);
  });

  it("refuses a second concurrent fetch into the same folder", async () => {
    const hub = await startHub();
    const dest = freshDest();
    const first = (await fetchFrom(hub, dest)).run;
    const second = (await fetchFrom(hub, dest)).run;
    await expect(second).rejects.toThrow(/already running/);
    await first;
    expectSameAsSource(dest);
  });
});
