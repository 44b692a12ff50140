// Request guards in front of the image routes: API-key auth, an external rate limiter, and the body limit
// chosen by Content-Type. Also the two places every error passes through: the schema hook and onError.
import type { Hook } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { timingSafeEqual } from "hono/utils/buffer";
import type { AppConfig } from "./config";
import { bodyKind } from "./image-input";
import { ApiError, problemResponse, toApiError, type ProblemCode } from "./problem";
import { tooLarge } from "./read-body";

export interface AppVariables {
  requestId: string;
  clientKey: string;
}
export type AppEnv = { Variables: AppVariables };

/** The API key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function presentedKey(c: Context): string | undefined {
  const header = c.req.header("x-api-key");
  if (header) return header.trim();
  const auth = c.req.header("authorization");
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return m?.[1]?.trim();
}

/** With keys configured, a request needs one of them (compared in constant time); without, all pass. */
export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = presentedKey(c);
    if (keys.length > 0) {
      let ok = false;
      for (const key of keys) if (given !== undefined && (await timingSafeEqual(key, given))) ok = true;
      if (!ok) {
        throw new ApiError(
          "unauthorized",
          given === undefined
            ? "Send an API key as `Authorization: Bearer <key>` or `X-API-Key`."
            : "The API key is not valid.",
          {},
          {
            "www-authenticate": 'Bearer realm="florence-edge"',
          },
        );
      }
    }
    // A key names the rate-limit bucket only once it has been verified: without configured keys anyone can
    // send a fresh made-up key per request, and a bucket keyed by it would give them a fresh budget each time.
    const verified = keys.length > 0 && given !== undefined;
    c.set(
      "clientKey",
      verified
        ? `key:${given}`
        : `ip:${c.req.header("cf-connecting-ip") ?? c.req.header("x-forwarded-for") ?? "anonymous"}`,
    );
    await next();
  };
}

/** An external limiter (e.g. the Workers Rate Limiting binding), keyed by API key or client address. */
export function rateLimit(
  limit: (key: string) => Promise<boolean>,
  onRefused: () => void,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let allowed = true;
    try {
      allowed = await limit(c.get("clientKey") ?? "anonymous");
    } catch {
      // A failing limiter must not take the API down.
    }
    if (!allowed) {
      onRefused();
      throw new ApiError(
        "rate_limited",
        "Too many requests from this client; retry later.",
        {},
        { "retry-after": "60" },
      );
    }
    await next();
  };
}

/** Multipart and JSON carry some overhead; base64 needs 4 characters per 3 bytes. */
const ENVELOPE_BYTES = 64 * 1024;

export function imageBodyLimit(config: AppConfig): MiddlewareHandler<AppEnv> {
  const onError = () => {
    throw tooLarge(config.maxImageBytes);
  };
  const raw = bodyLimit({ maxSize: config.maxImageBytes, onError });
  const form = bodyLimit({ maxSize: config.maxImageBytes + ENVELOPE_BYTES, onError });
  const json = bodyLimit({ maxSize: Math.ceil((config.maxImageBytes * 4) / 3) + ENVELOPE_BYTES, onError });
  return (c, next) => {
    const kind = bodyKind(c.req.header("content-type"));
    return (kind === "json" ? json : kind === "form" ? form : raw)(c, next);
  };
}

/** Schema failures → problem+json: `task` → unknown_task, `image` → missing_image, the rest invalid_request. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = result.error.issues[0]?.path[0];
  const code: ProblemCode =
    first === "task" ? "unknown_task" : first === "image" ? "missing_image" : "invalid_request";
  const detail =
    code === "unknown_task"
      ? "task must be a Florence-2 task token or slug (see GET /v1/tasks)."
      : code === "missing_image"
        ? "The multipart body has no `image` file field."
        : `Invalid ${result.target}: ${issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ")}`;
  throw new ApiError(code, detail, { errors: issues });
};

/** Hono's own exceptions (media-type gate, malformed JSON, body limit) → our codes. */
function fromHttpException(e: HTTPException): ApiError {
  switch (e.status) {
    case 415:
      return new ApiError(
        "unsupported_media_type",
        "Send image/*, application/octet-stream, multipart/form-data or application/json.",
      );
    case 413:
      return new ApiError("image_too_large", "The request body is too large.");
    case 401:
      return new ApiError("unauthorized", "A valid API key is required.");
    case 400:
      return new ApiError("invalid_request", e.message || "The request is malformed.");
    default:
      return toApiError(e);
  }
}

export function errorResponse(err: unknown, c: Context<AppEnv>): Response {
  const apiError = err instanceof HTTPException ? fromHttpException(err) : toApiError(err);
  if (apiError.code === "internal_error") console.error(`${c.req.method} ${c.req.path}:`, err);
  return problemResponse(apiError, c.req.path, c.get("requestId"));
}
