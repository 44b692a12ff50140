// RFC 9457 problem details: every error the API returns is `application/problem+json` with a stable `code`
// (clients switch on it), the HTTP status from one table, and a human `detail` that may change. Runtime
// errors with typed codes (ImageDecodeError, PromptError) map onto the same table; anything else becomes
// `internal_error` without its message or stack.
import { isImageDecodeError } from "../runtime/pixels/errors";
import { isPromptError } from "../runtime/prompt/prompt-error";

export const PROBLEMS = {
  invalid_request: { status: 400, title: "The request is malformed or an option is out of range" },
  missing_image: { status: 400, title: "No image in the request" },
  unknown_task: { status: 400, title: "Unknown task" },
  text_input_required: { status: 400, title: "This task needs a text_input" },
  text_input_not_allowed: { status: 400, title: "This task takes no text_input" },
  invalid_region: { status: 400, title: "Invalid region" },
  text_input_too_long: { status: 400, title: "text_input is too long" },
  url_not_allowed: { status: 400, title: "This image_url is not allowed" },
  unauthorized: { status: 401, title: "A valid API key is required" },
  not_found: { status: 404, title: "Not found" },
  image_too_large: { status: 413, title: "The image is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  image_dimensions_out_of_range: { status: 422, title: "Image dimensions out of range" },
  undecodable_image: { status: 422, title: "The image could not be decoded" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal error" },
  url_fetch_failed: { status: 502, title: "The image_url could not be fetched" },
  model_unavailable: { status: 503, title: "The model is not available" },
  url_fetch_timeout: { status: 504, title: "Fetching the image_url timed out" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;
export type ProblemStatus = (typeof PROBLEMS)[ProblemCode]["status"];

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An error the API answers with as it is: code, detail, and optional extension members. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(`${code}: ${detail}`);
  }
  get status(): ProblemStatus {
    return PROBLEMS[this.code].status;
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  request_id?: string;
  [extension: string]: unknown;
}

/** A stable URN per code: a URI reference as RFC 9457 asks, without inventing a host. */
export const problemType = (code: ProblemCode): string => `urn:florence-edge:problem:${code}`;

/** Any thrown value → ApiError. Unknown errors keep nothing of their message (it may carry internals). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isImageDecodeError(err)) return new ApiError(err.code, err.message);
  if (isPromptError(err)) return new ApiError(err.code, err.message);
  return new ApiError("internal_error", "The server failed to process the request.");
}

export function problemBody(err: ApiError, instance?: string, requestId?: string): ProblemBody {
  return {
    ...err.extensions,
    type: problemType(err.code),
    title: PROBLEMS[err.code].title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    ...(instance !== undefined ? { instance } : {}),
    ...(requestId !== undefined ? { request_id: requestId } : {}),
  };
}

export function problemResponse(
  err: ApiError,
  instance?: string,
  requestId?: string,
  extraHeaders?: Headers,
): Response {
  const headers = new Headers(extraHeaders);
  headers.set("content-type", PROBLEM_CONTENT_TYPE);
  headers.set("cache-control", "no-store");
  for (const [k, v] of Object.entries(err.headers)) headers.set(k, v);
  return new Response(JSON.stringify(problemBody(err, instance, requestId)), { status: err.status, headers });
}
