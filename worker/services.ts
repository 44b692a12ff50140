// What the app is built from. The platform entries (worker/index.ts for workerd, server-node/ for Node)
// supply the model source and the cache levels; everything else is the same on both.
import type { ImageFeatures } from "../runtime/pipeline";
import { Admission } from "./admission";
import { Analyzer } from "./analyzer";
import type { ByteStore } from "./cache/byte-store";
import { featureCodec, resultCodec, type StoredResult } from "./cache/codecs";
import { newStats, type Stats } from "./cache/stats";
import { TieredCache } from "./cache/tiered-cache";
import type { AppConfig } from "./config";
import type { ModelProvider } from "./model-provider";
import { WorkQueue } from "./work-queue";

export interface AppDeps {
  config: AppConfig;
  /** The model, loaded lazily and once (see model-provider.ts). */
  model: ModelProvider;
  /** Cache levels for image features and for results, fastest first (e.g. [Cache API, KV]). */
  featureLevels: ByteStore[];
  resultLevels: ByteStore[];
  /** fetch used for image_url (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Extra check of image_url hosts (Node: resolved addresses must be public). */
  checkHost?: (hostname: string) => Promise<void>;
  /** External rate limiter: resolves false to refuse the client with 429. */
  rateLimit?: (clientKey: string) => Promise<boolean>;
}

export interface Services {
  stats: Stats;
  analyzer: Analyzer;
  queue: WorkQueue;
  admission: Admission;
}

export function createServices(deps: AppDeps): Services {
  const { config } = deps;
  const stats = newStats();
  const queue = new WorkQueue(config.maxQueue, () => stats.rate_limited++);
  const admission = new Admission(config.maxInFlight, () => stats.rate_limited++);
  const features = new TieredCache<ImageFeatures>({
    kind: "feature",
    levels: deps.featureLevels,
    codec: featureCodec(config.featureDtype),
    ttlSeconds: config.featureTtlSeconds,
    timeoutMs: config.cacheTimeoutMs,
    stats,
  });
  const results = new TieredCache<StoredResult>({
    kind: "result",
    levels: deps.resultLevels,
    codec: resultCodec,
    ttlSeconds: config.resultTtlSeconds,
    timeoutMs: config.cacheTimeoutMs,
    stats,
  });
  const limits = {
    minSide: config.minImageSide,
    maxSide: config.maxImageSide,
    maxPixels: config.maxImagePixels,
  };
  const analyzer = new Analyzer({ model: deps.model, features, results, queue, stats, limits });
  return { stats, analyzer, queue, admission };
}
