// A read-through cache over ordered levels (fastest first: the per-location Cache API, then KV or a folder).
// A hit on a lower level is copied up; an unusable entry (decode refused it) is counted and skipped, and the
// value computed instead is written to every level, which overwrites it. A store that throws is a miss or a
// skipped write, never an error: caching only ever makes a request faster. A store that does not answer
// within `timeoutMs` counts as one that threw (a hung KV read must not hold the request: it is computed instead).
import type { ByteStore } from "./byte-store";
import type { Stats } from "./stats";

export interface Codec<T> {
  encode(value: T, key: string): Promise<Uint8Array>;
  /** A reason string instead of a value when the bytes are not a valid entry for this key. */
  decode(bytes: Uint8Array, key: string): Promise<T | string>;
}

export type CacheKind = "feature" | "result";

export interface TieredCacheOptions<T> {
  kind: CacheKind;
  levels: ByteStore[];
  codec: Codec<T>;
  ttlSeconds: number;
  stats: Stats;
  /** Longest wait for one store call before it counts as failed (default DEFAULT_STORE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Logs unusable entries and store failures (default console.warn). */
  warn?: (message: string) => void;
}

export interface CacheHit<T> {
  value: T;
  level: string;
}

/** Hands background work (copy-up writes) to the platform: waitUntil in workerd; by default just let it run. */
export type Defer = (work: Promise<unknown>) => void;
const runDetached: Defer = (work) => void work;

/** KV reads are tens of milliseconds when warm, a few hundred cold; two seconds means the store is in trouble. */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

class StoreTimeout extends Error {
  override readonly name = "StoreTimeout";
}

/** `work`, or a StoreTimeout rejection after `ms` (the timer is cleared either way). */
async function withTimeout<R>(work: Promise<R>, ms: number): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export class TieredCache<T> {
  private readonly warn: (message: string) => void;

  constructor(private readonly opts: TieredCacheOptions<T>) {
    this.warn = opts.warn ?? ((m) => console.warn(m));
  }

  async get(key: string, defer: Defer = runDetached): Promise<CacheHit<T> | null> {
    const { levels, stats, kind } = this.opts;
    for (let i = 0; i < levels.length; i++) {
      const store = levels[i]!;
      const bytes = await this.safely(store, "get", () => store.get(key));
      if (!bytes) continue;
      const decoded = await this.opts.codec
        .decode(bytes, key)
        .catch((e: unknown) => `decode threw: ${String(e)}`);
      if (typeof decoded === "string") {
        stats[`${kind}_corrupt`]++;
        this.warn(`${kind} cache: unusable entry in ${store.name} for ${key} (${decoded}); ignoring it`);
        continue;
      }
      stats[`${kind}_hits`]++;
      stats.hits_by_level[store.name] = (stats.hits_by_level[store.name] ?? 0) + 1;
      // Copy up to the faster levels (which missed or held a bad entry), without delaying the answer.
      defer(this.writeLevels(levels.slice(0, i), key, bytes));
      return { value: decoded, level: store.name };
    }
    stats[`${kind}_misses`]++;
    return null;
  }

  /** Encodes once and writes every level; resolves when all writes settled (failures counted, not thrown). */
  async put(key: string, value: T): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await this.opts.codec.encode(value, key);
    } catch (e) {
      this.opts.stats.store_errors++;
      this.warn(`${this.opts.kind} cache: encoding failed for ${key}: ${String(e)}`);
      return;
    }
    await this.writeLevels(this.opts.levels, key, bytes);
    this.opts.stats[`${this.opts.kind}_writes`]++;
  }

  private async writeLevels(levels: ByteStore[], key: string, bytes: Uint8Array): Promise<void> {
    await Promise.all(
      levels.map((s) => this.safely(s, "put", () => s.put(key, bytes, this.opts.ttlSeconds))),
    );
  }

  private async safely<R>(store: ByteStore, op: string, f: () => Promise<R>): Promise<R | null> {
    try {
      return await withTimeout(f(), this.opts.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
    } catch (e) {
      this.opts.stats.store_errors++;
      this.warn(`${this.opts.kind} cache: ${store.name}.${op} failed: ${String(e)}`);
      return null;
    }
  }
}
