// The cache levels' behaviour without any platform: copy-up, corrupt entries skipped and overwritten, failing
// stores degrading to misses, single-flight, and the bounded model queue.
import { describe, expect, it } from "vitest";
import { MemoryStore, type ByteStore } from "../../worker/cache/byte-store";
import { featureCodec, resultCodec, type StoredResult } from "../../worker/cache/codecs";
import { SingleFlight } from "../../worker/cache/single-flight";
import { newStats } from "../../worker/cache/stats";
import { TieredCache } from "../../worker/cache/tiered-cache";
import { ApiError } from "../../worker/problem";
import { WorkQueue } from "../../worker/work-queue";

const image = {
  features: Float32Array.from({ length: 12 }, (_, i) => i / 4),
  tokens: 3,
  width: 40,
  height: 30,
};
const quiet = () => {};

function cache(levels: ByteStore[]) {
  const stats = newStats();
  return {
    stats,
    cache: new TieredCache({
      kind: "feature",
      levels,
      codec: featureCodec("fp16"),
      ttlSeconds: 60,
      stats,
      warn: quiet,
    }),
  };
}

class BrokenStore implements ByteStore {
  readonly name = "broken";
  get(): Promise<Uint8Array | null> {
    return Promise.reject(new Error("KV is down"));
  }
  put(): Promise<void> {
    return Promise.reject(new Error("KV is down"));
  }
}

describe("TieredCache", () => {
  it("misses, writes every level, then hits the first; a lower-level hit is copied up", async () => {
    const l1 = new MemoryStore("l1");
    const l2 = new MemoryStore("l2");
    const { stats, cache: c } = cache([l1, l2]);
    expect(await c.get("k")).toBeNull();
    await c.put("k", image);
    expect(l1.keys()).toEqual(["k"]);
    expect((await c.get("k"))?.level).toBe("l1");

    const fresh = new MemoryStore("l1");
    const { cache: c2 } = cache([fresh, l2]);
    const pending: Promise<unknown>[] = [];
    const hit = await c2.get("k", (p) => pending.push(p));
    expect(hit?.level).toBe("l2");
    expect(hit?.value.features).toEqual(image.features);
    await Promise.all(pending);
    expect(fresh.keys()).toEqual(["k"]);
    expect(stats).toMatchObject({ feature_misses: 1, feature_hits: 1, feature_writes: 1 });
  });

  it("skips and counts a corrupt entry, falls through to the next level, and a put repairs it", async () => {
    const l1 = new MemoryStore("l1");
    const l2 = new MemoryStore("l2");
    const { stats, cache: c } = cache([l1, l2]);
    await c.put("k", image);
    l1.set("k", new Uint8Array([1, 2, 3]));
    const copies: Promise<unknown>[] = [];
    expect((await c.get("k", (p) => copies.push(p)))?.level).toBe("l2");
    expect(stats.feature_corrupt).toBe(1);
    await Promise.all(copies);
    expect((await c.get("k"))?.level).toBe("l1"); // the good entry was copied over the bad one
    l2.set("k", new Uint8Array(0));
    l1.set("k", new Uint8Array(100));
    expect(await c.get("k")).toBeNull();
    expect(stats.feature_corrupt).toBe(3);
    await c.put("k", image);
    expect((await c.get("k"))?.level).toBe("l1");
  });

  it("treats a throwing store as a miss and a failed write as no write, never as an error", async () => {
    const good = new MemoryStore("good");
    const { stats, cache: c } = cache([new BrokenStore(), good]);
    expect(await c.get("k")).toBeNull();
    await expect(c.put("k", image)).resolves.toBeUndefined();
    const copies: Promise<unknown>[] = [];
    expect((await c.get("k", (p) => copies.push(p)))?.level).toBe("good");
    await Promise.all(copies);
    // get, put, get, and the copy-up to the broken level: four failures, none thrown.
    expect(stats.store_errors).toBe(4);
  });

  it("refuses a result entry stored under another key", async () => {
    const store = new MemoryStore();
    const stats = newStats();
    const results = new TieredCache<StoredResult>({
      kind: "result",
      levels: [store],
      codec: resultCodec,
      ttlSeconds: 60,
      stats,
      warn: quiet,
    });
    const value: StoredResult = {
      task: "<OCR>",
      result: { "<OCR>": "x" },
      image: { width: 1, height: 1, sha256: "a" },
      model: { id: "m", version: "1", quantization: "fp32", synthetic: true },
    };
    await results.put("r1", value);
    store.set("r2", (await store.get("r1"))!);
    expect((await results.get("r1"))?.value).toEqual(value);
    expect(await results.get("r2")).toBeNull();
    expect(stats.result_corrupt).toBe(1);
  });
});

describe("SingleFlight", () => {
  it("runs concurrent calls for one key once, and forgets the key when it settles (also on failure)", async () => {
    let shared = 0;
    let runs = 0;
    const sf = new SingleFlight<number>(() => shared++);
    let release!: (v: number) => void;
    const work = () => (runs++, new Promise<number>((r) => (release = r)));
    const a = sf.run("k", work);
    const b = sf.run("k", work);
    const other = sf.run("other", async () => 7);
    release(42);
    expect(await Promise.all([a, b, other])).toEqual([42, 42, 7]);
    expect({ runs, shared, size: sf.size }).toEqual({ runs: 1, shared: 1, size: 0 });
    await expect(sf.run("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await sf.run("k", async () => 1)).toBe(1);
  });
});

describe("WorkQueue", () => {
  it("runs jobs one at a time in order and refuses past maxWaiting with rate_limited", async () => {
    let refused = 0;
    const q = new WorkQueue(1, () => refused++);
    const order: string[] = [];
    let release!: () => void;
    const first = q.run(() => new Promise<void>((r) => (release = () => (order.push("first"), r()))));
    const second = q.run(async () => void order.push("second"));
    const third = q.run(async () => void order.push("third"));
    await expect(third).rejects.toSatisfy(
      (e: unknown) => e instanceof ApiError && e.code === "rate_limited" && e.headers["retry-after"] === "5",
    );
    expect(q.depth).toBe(2);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first", "second"]);
    expect(refused).toBe(1);
    await expect(q.run(() => Promise.reject(new Error("job failed")))).rejects.toThrow("job failed");
    expect(await q.run(async () => "after a failure")).toBe("after a failure");
    expect(q.depth).toBe(0);
  });
});
