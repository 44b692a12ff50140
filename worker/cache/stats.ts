// Per-isolate counters, exposed at /v1/stats and /healthz. Tests read them to prove what ran: a feature-cache
// hit shows up as vision_runs not moving.

export interface Stats {
  /** Requests that reached the analysis (after validation). */
  requests: number;
  /** vision_encoder runs (bytes → image features). */
  vision_runs: number;
  /** Language-model runs (encoder + decoder on features). */
  model_runs: number;
  feature_hits: number;
  feature_misses: number;
  /** Entries found but unusable (bad header, checksum, other model/key); ignored and overwritten. */
  feature_corrupt: number;
  feature_writes: number;
  result_hits: number;
  result_misses: number;
  result_corrupt: number;
  result_writes: number;
  /** Hits per level name (e.g. cache-api, kv, fs), features and results together. */
  hits_by_level: Record<string, number>;
  /** Cache reads or writes that threw (the request went on as a miss / without caching). */
  store_errors: number;
  /** Requests that joined an identical computation already in flight in this isolate. */
  shared_in_flight: number;
  /** Requests refused because the model queue was full. */
  rate_limited: number;
}

export function newStats(): Stats {
  return {
    requests: 0,
    vision_runs: 0,
    model_runs: 0,
    feature_hits: 0,
    feature_misses: 0,
    feature_corrupt: 0,
    feature_writes: 0,
    result_hits: 0,
    result_misses: 0,
    result_corrupt: 0,
    result_writes: 0,
    hits_by_level: {},
    store_errors: 0,
    shared_in_flight: 0,
    rate_limited: 0,
  };
}
