// Every knob of the API in one typed object, read once from string variables (Worker vars/secrets, or
// process.env in Node). Unknown or malformed values fall back to the default rather than failing a request:
// a typo in a var must not take the service down, and /healthz shows the values in effect.

export interface AppConfig {
  /** Largest accepted image, in bytes (raw body, decoded base64, multipart file or fetched URL). */
  maxImageBytes: number;
  /** Smallest and largest accepted width/height, and the pixel cap (decoding needs ~17 bytes per pixel). */
  minImageSide: number;
  maxImageSide: number;
  maxImagePixels: number;
  /** Beam count when the request gives none (the reference's generation_config uses 3). */
  defaultNumBeams: number;
  /** max_new_tokens when the request gives none, and the hard cap a request cannot exceed. */
  defaultMaxNewTokens: number;
  maxNewTokensCap: number;
  /** Allowed CORS origins; ["*"] allows any. */
  corsOrigins: string[];
  /** API keys (empty: no authentication). */
  apiKeys: string[];
  /** image_url: refuse loopback/private/link-local targets unless this is set (tests, trusted networks). */
  allowPrivateUrls: boolean;
  urlFetchTimeoutMs: number;
  /** Time-to-live of cached image features and of cached results, in seconds (KV needs ≥ 60). */
  featureTtlSeconds: number;
  resultTtlSeconds: number;
  /** How cached features are stored: fp16 (half the bytes; see worker/README.md for its effect) or fp32. */
  featureDtype: "fp16" | "fp32";
  /** Model requests allowed to wait in one isolate before new ones get 429. */
  maxQueue: number;
  /**
   * Image requests (analyze, alt-text) one isolate accepts at the same time, counted before the body is read;
   * more get 429 with Retry-After. Each holds its image (up to maxImageBytes, more while base64 is decoded), so
   * this bounds request memory where maxQueue cannot (the queue is reached only after the body was read).
   */
  maxInFlight: number;
  /** Longest wait for one cache store call (Cache API, KV) before it counts as a miss / skipped write. */
  cacheTimeoutMs: number;
}

export const DEFAULT_CONFIG: Readonly<AppConfig> = Object.freeze({
  maxImageBytes: 20 * 1024 * 1024,
  minImageSide: 16,
  maxImageSide: 16000,
  // Measured (docs/SECURITY.md): photon grows its WASM memory by ~13.3 bytes/pixel while decoding, plus 4 in JS
  // for the RGBA copy: 10 MP needs ~165 MiB, more than a 128 MiB isolate. Kept at 10 MP until the decode has
  // an isolate of its own (issue 7); an isolate that decodes next to the model should set ~1.5–4 MP.
  maxImagePixels: 10_000_000,
  defaultNumBeams: 3,
  defaultMaxNewTokens: 1024,
  maxNewTokensCap: 1024,
  corsOrigins: ["*"],
  apiKeys: [],
  allowPrivateUrls: false,
  urlFetchTimeoutMs: 10_000,
  featureTtlSeconds: 7 * 24 * 3600,
  resultTtlSeconds: 24 * 3600,
  featureDtype: "fp16",
  maxQueue: 16,
  maxInFlight: 8,
  cacheTimeoutMs: 2000,
});

export type ConfigVars = Record<string, unknown>;

function int(v: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "string" && typeof v !== "number") return fallback;
  const n = typeof v === "number" ? v : Number(v.trim());
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

function list(v: unknown, fallback: string[]): string[] {
  if (typeof v !== "string") return fallback;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const bool = (v: unknown, fallback: boolean): boolean =>
  typeof v === "string"
    ? ["1", "true", "yes", "on"].includes(v.trim().toLowerCase())
    : typeof v === "boolean"
      ? v
      : fallback;

/** Reads the variables documented in worker/README.md; anything absent or invalid keeps its default. */
export function configFromVars(vars: ConfigVars): AppConfig {
  const d = DEFAULT_CONFIG;
  const cap = int(vars.MAX_NEW_TOKENS_CAP, d.maxNewTokensCap, 1, 4096);
  const corsOrigins = list(vars.CORS_ORIGINS, d.corsOrigins);
  return {
    maxImageBytes: int(vars.MAX_IMAGE_BYTES, d.maxImageBytes, 1),
    minImageSide: int(vars.MIN_IMAGE_SIDE, d.minImageSide, 1),
    maxImageSide: int(vars.MAX_IMAGE_SIDE, d.maxImageSide, 1),
    maxImagePixels: int(vars.MAX_IMAGE_PIXELS, d.maxImagePixels, 1),
    defaultNumBeams: int(vars.DEFAULT_NUM_BEAMS, d.defaultNumBeams, 1, 3),
    defaultMaxNewTokens: Math.min(cap, int(vars.DEFAULT_MAX_NEW_TOKENS, d.defaultMaxNewTokens, 1)),
    maxNewTokensCap: cap,
    corsOrigins: corsOrigins.length > 0 ? corsOrigins : d.corsOrigins,
    apiKeys: list(vars.API_KEYS, d.apiKeys),
    allowPrivateUrls: bool(vars.ALLOW_PRIVATE_URLS, d.allowPrivateUrls),
    urlFetchTimeoutMs: int(vars.URL_FETCH_TIMEOUT_MS, d.urlFetchTimeoutMs, 1, 120_000),
    featureTtlSeconds: int(vars.FEATURE_TTL_SECONDS, d.featureTtlSeconds, 60),
    resultTtlSeconds: int(vars.RESULT_TTL_SECONDS, d.resultTtlSeconds, 60),
    featureDtype: vars.FEATURE_DTYPE === "fp32" ? "fp32" : d.featureDtype,
    maxQueue: int(vars.MAX_QUEUE, d.maxQueue, 0),
    maxInFlight: int(vars.MAX_IN_FLIGHT, d.maxInFlight, 1),
    cacheTimeoutMs: int(vars.CACHE_TIMEOUT_MS, d.cacheTimeoutMs, 1, 60_000),
  };
}
