// Cross-isolate calls made by the API Worker to its stages, counted by kind: service-binding calls count
// toward Cloudflare's 32 Worker invocations per request, Durable Object calls are subrequests (10 000 per
// request on the paid plan). Also the bytes of the largest call (arguments or result; the RPC limit is 32 MiB)
// and the time spent waiting on each kind.
export interface StageCallCounts {
  service_binding: number;
  durable_object: number;
  /** Wall time spent waiting on each kind, ms. */
  service_binding_ms: number;
  durable_object_ms: number;
  /** Largest tensor payload of one call (arguments or result), bytes. */
  max_call_bytes: number;
  /** Largest call since the last startWindow() (per request when requests do not overlap). */
  window_max_bytes: number;
  /** Tensor bytes sent and received. */
  bytes: number;
  failures: number;
}

export type StageCallKind = "service_binding" | "durable_object";

export function newStageCallCounts(): StageCallCounts {
  return {
    service_binding: 0,
    durable_object: 0,
    service_binding_ms: 0,
    durable_object_ms: 0,
    max_call_bytes: 0,
    window_max_bytes: 0,
    bytes: 0,
    failures: 0,
  };
}

/** The calls made between two snapshots (max_call_bytes: the largest call since the later snapshot's window began). */
export function callsSince(before: StageCallCounts, after: StageCallCounts): StageCallCounts {
  return {
    service_binding: after.service_binding - before.service_binding,
    durable_object: after.durable_object - before.durable_object,
    service_binding_ms: after.service_binding_ms - before.service_binding_ms,
    durable_object_ms: after.durable_object_ms - before.durable_object_ms,
    max_call_bytes: after.window_max_bytes,
    window_max_bytes: after.window_max_bytes,
    bytes: after.bytes - before.bytes,
    failures: after.failures - before.failures,
  };
}

export class StageCallCounter {
  private readonly counts = newStageCallCounts();

  snapshot(): StageCallCounts {
    return { ...this.counts };
  }

  async track<T>(
    kind: StageCallKind,
    sentBytes: number,
    call: () => Promise<T>,
    receivedBytes: (r: T) => number,
  ): Promise<T> {
    this.counts[kind]++;
    this.note(sentBytes);
    const t0 = performance.now();
    try {
      const result = await call();
      this.note(receivedBytes(result));
      return result;
    } catch (err) {
      this.counts.failures++;
      throw err;
    } finally {
      this.counts[`${kind}_ms`] += performance.now() - t0;
    }
  }

  /** Starts a new window for window_max_bytes (a request begins). */
  startWindow(): void {
    this.counts.window_max_bytes = 0;
  }

  private note(bytes: number): void {
    this.counts.bytes += bytes;
    if (bytes > this.counts.max_call_bytes) this.counts.max_call_bytes = bytes;
    if (bytes > this.counts.window_max_bytes) this.counts.window_max_bytes = bytes;
  }
}
