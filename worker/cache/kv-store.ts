// Workers KV as a cache level. Only the two calls used are typed here, so the module needs no workers-types.
import type { ByteStore } from "./byte-store";

export interface KvNamespaceLike {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { expirationTtl?: number }): Promise<void>;
}

/** KV refuses TTLs under 60 s. */
const KV_MIN_TTL = 60;

export class KvStore implements ByteStore {
  readonly name = "kv";
  constructor(private readonly kv: KvNamespaceLike) {}

  async get(key: string): Promise<Uint8Array | null> {
    const buf = await this.kv.get(key, "arrayBuffer");
    return buf ? new Uint8Array(buf) : null;
  }

  async put(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    await this.kv.put(key, value, { expirationTtl: Math.max(KV_MIN_TTL, Math.round(ttlSeconds)) });
  }
}
