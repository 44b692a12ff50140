// Model work in one isolate runs one job at a time: a Worker has one thread, and onnxruntime sessions are
// not meant to run concurrently; in Node the WASM threads already share each job. The queue is bounded:
// past `maxWaiting` jobs a new one is refused with 429 rate_limited instead of waiting for minutes.
import { ApiError } from "./problem";

export class WorkQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly maxWaiting: number,
    private readonly onRefused: () => void = () => {},
  ) {}

  /** Jobs queued or running. */
  get depth(): number {
    return this.waiting;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.waiting > this.maxWaiting) {
      this.onRefused();
      return Promise.reject(
        new ApiError(
          "rate_limited",
          "The server is busy with other images; retry shortly.",
          {},
          { "retry-after": "5" },
        ),
      );
    }
    this.waiting++;
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result.finally(() => this.waiting--);
  }
}
