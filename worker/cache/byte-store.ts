// The storage contract every cache level implements: KV and the Cache API in workerd, a folder in Node, a Map
// in tests. Values are opaque bytes; each level keeps its own expiry.

export interface ByteStore {
  /** Short name for counters and logs ("cache-api", "kv", "fs", "memory"). */
  readonly name: string;
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
}

/** A Map with expiry: the stand-in store for tests and for running without any binding. */
export class MemoryStore implements ByteStore {
  readonly name: string;
  private readonly entries = new Map<string, { value: Uint8Array; expires: number }>();

  constructor(name = "memory") {
    this.name = name;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.value.slice();
  }

  async put(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value: value.slice(), expires: Date.now() + ttlSeconds * 1000 });
  }

  /** For tests: overwrite an entry's bytes in place. */
  set(key: string, value: Uint8Array): void {
    this.entries.set(key, { value, expires: Date.now() + 3600_000 });
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}
