// The preparation chain of `npm start` on the tiny model: the Hub fallback (an endpoint that refuses
// connections → the synthetic model, said plainly), reuse of an earlier choice without asking the Hub, and
// keyed outputs (an unchanged step is skipped, a changed input rebuilds and replaces the old output).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { writeLastPrepared } from "../../deploy/prepared";
import { folderIdentity, keyedFolder, MARKER } from "../../deploy/start/keyed-folder";
import { chooseSource } from "../../deploy/start/source";
import { StepClock } from "../../deploy/start/steps";
import { tinyModelDir } from "../helpers/tiny-model";

let root: string;
const savedEndpoint = process.env.HF_ENDPOINT;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "start-chain-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = savedEndpoint;
  vi.restoreAllMocks();
});

describe("model source", () => {
  it("falls back to the synthetic model when the Hub refuses connections, with a plain warning", async () => {
    process.env.HF_ENDPOINT = "http://127.0.0.1:9"; // discard port: nothing listens, connection refused
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    const clock = new StepClock(() => {});
    const src = await chooseSource(
      { refetch: false, synthetic: false, syntheticPreset: "tiny", preparedRoot: join(root, "none") },
      clock,
    );
    expect(src.kind).toBe("synthetic");
    expect(src.synthetic).toBe(true);
    expect(src.dir).toBe(tinyModelDir());
    const text = warn.mock.calls.map((c) => String(c[0])).join("\n");
    expect(text).toMatch(/Hugging Face Hub is not reachable/);
    expect(text).toMatch(/127\.0\.0\.1:9/);
    expect(text).toMatch(/SYNTHETIC/);
    expect(clock.timings.map((t) => [t.step.split(" ")[0], t.status])).toEqual([
      ["download", "failed"],
      ["synthetic", "skipped"],
    ]);
  });

  it("reuses the source an earlier start chose, without a Hub request", async () => {
    process.env.HF_ENDPOINT = "http://127.0.0.1:9";
    const prepared = join(root, "prepared");
    writeLastPrepared(
      { source: { kind: "synthetic", dir: tinyModelDir(), synthetic: true }, at: "" },
      prepared,
    );
    vi.spyOn(console, "log").mockImplementation(() => {});
    const clock = new StepClock(() => {});
    const src = await chooseSource({ refetch: false, synthetic: false, preparedRoot: prepared }, clock);
    expect(src.dir).toBe(tinyModelDir());
    expect(clock.timings).toEqual([]);
  });

  it("refuses a --model folder that is neither a model nor a split", async () => {
    await expect(
      chooseSource({ model: root, refetch: false, synthetic: false }, new StepClock(() => {})),
    ).rejects.toThrow(/neither a model folder/);
  });
});

describe("keyed outputs", () => {
  it("builds once per key, skips an unchanged input, rebuilds and prunes on a change", async () => {
    const src = join(root, "src");
    const out = join(root, "out");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "a.bin"), "one");
    let builds = 0;
    const build = (tmp: string) => {
      builds++;
      writeFileSync(join(tmp, "result"), "r");
    };
    const key1 = folderIdentity(src).slice(0, 12);
    const first = await keyedFolder(out, "step", key1, {}, build);
    expect(first.reused).toBe(false);
    expect(existsSync(join(first.dir, MARKER))).toBe(true);
    const again = await keyedFolder(out, "step", folderIdentity(src).slice(0, 12), {}, build);
    expect(again).toEqual({ dir: first.dir, reused: true });
    expect(builds).toBe(1);

    writeFileSync(join(src, "a.bin"), "two!");
    utimesSync(join(src, "a.bin"), new Date(), new Date(Date.now() + 5000));
    const key2 = folderIdentity(src).slice(0, 12);
    expect(key2).not.toBe(key1);
    const second = await keyedFolder(out, "step", key2, {}, build);
    expect(second.reused).toBe(false);
    expect(builds).toBe(2);
    expect(readdirSync(out).sort()).toEqual([`step-${key2}`]);
  });

  it("leaves nothing behind when a build fails", async () => {
    const out = join(root, "out-fail");
    await expect(
      keyedFolder(out, "step", "0123456789ab", {}, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(readdirSync(out)).toEqual([]);
  });
});
