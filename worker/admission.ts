// Per-isolate admission control for the image routes: at most `limit` requests at once, counted from before
// the body is read until the answer is made. The work queue (work-queue.ts) bounds model jobs, but a request
// reaches it only after its image is in memory (up to MAX_IMAGE_BYTES, ~3× that while base64 JSON is decoded);
// this bound is what keeps a burst of uploads from holding more than the isolate's memory. Refused requests
// get 429 rate_limited with Retry-After: the client should come back, not give up.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./middleware";
import { ApiError } from "./problem";

export const ADMISSION_RETRY_AFTER_SECONDS = "2";

export class Admission {
  private current = 0;

  constructor(
    private readonly limit: number,
    private readonly onRefused: () => void = () => {},
  ) {}

  /** Image requests being handled now. */
  get inFlight(): number {
    return this.current;
  }

  middleware(): MiddlewareHandler<AppEnv> {
    return async (_c, next) => {
      if (this.current >= this.limit) {
        this.onRefused();
        throw new ApiError(
          "rate_limited",
          `This instance is handling its maximum of ${this.limit} image requests; retry shortly.`,
          {},
          { "retry-after": ADMISSION_RETRY_AFTER_SECONDS },
        );
      }
      this.current++;
      try {
        await next();
      } finally {
        this.current--;
      }
    };
  }
}
