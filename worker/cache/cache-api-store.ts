// The Cache API (`caches.default` in workerd) as the per-location first level in front of KV: entries are
// Responses under a synthetic URL, expiring through Cache-Control.
import type { ByteStore } from "./byte-store";
import { cacheApiUrl } from "./keys";

export interface CacheLike {
  match(request: Request | string): Promise<Response | undefined>;
  put(request: Request | string, response: Response): Promise<void>;
}

export class CacheApiStore implements ByteStore {
  readonly name = "cache-api";
  constructor(private readonly cache: CacheLike) {}

  async get(key: string): Promise<Uint8Array | null> {
    const res = await this.cache.match(cacheApiUrl(key));
    return res ? new Uint8Array(await res.arrayBuffer()) : null;
  }

  async put(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    const headers = {
      "content-type": "application/octet-stream",
      "cache-control": `max-age=${Math.round(ttlSeconds)}`,
    };
    await this.cache.put(cacheApiUrl(key), new Response(value as Uint8Array<ArrayBuffer>, { headers }));
  }
}

/** `caches.default` where the runtime has it (workerd), else undefined (Node, browsers). */
export function defaultEdgeCache(): CacheLike | undefined {
  const storage = (globalThis as { caches?: { default?: CacheLike } }).caches;
  return storage?.default;
}
