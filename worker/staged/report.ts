// Makes the stage calls visible (the README states them per request):
//   - each response of a request that reached the stages gets a Server-Timing entry per kind
//     (`stage-sb;dur=<ms waiting>;desc="<n> service-binding calls"`, `stage-do;…`) and an `x-stage-calls`
//     header (service_binding=…, durable_object=…, max_call_bytes=…); when other requests overlapped in this
//     isolate the counts include theirs, and the header says `overlapped`;
//   - GET /v1/stats gains `stage_calls`: the isolate's totals.
import { callsSince, type StageCallCounter, type StageCallCounts } from "./stage-calls";

export class StageCallReporter {
  private inFlight = 0;
  /** Requests started while at least one other was running (their counts mix). */
  private overlapEpoch = 0;

  constructor(private readonly counter: () => StageCallCounter | undefined) {}

  async wrap(request: Request, handle: () => Promise<Response>): Promise<Response> {
    const counter = this.counter();
    const epoch = this.inFlight > 0 ? ++this.overlapEpoch : this.overlapEpoch;
    if (this.inFlight === 0) counter?.startWindow();
    this.inFlight++;
    const before = counter?.snapshot();
    let res: Response;
    try {
      res = await handle();
    } finally {
      this.inFlight--;
    }
    const now = this.counter();
    if (!now) return res;
    if (new URL(request.url).pathname === "/v1/stats" && res.status === 200)
      return this.withTotals(res, now.snapshot());
    const calls = before ? callsSince(before, now.snapshot()) : now.snapshot();
    if (calls.service_binding + calls.durable_object === 0) return res;
    const overlapped = epoch !== this.overlapEpoch || this.inFlight > 0;
    const out = new Response(res.body, res);
    out.headers.append(
      "server-timing",
      `stage-sb;dur=${calls.service_binding_ms.toFixed(1)};desc="${calls.service_binding} service-binding calls", ` +
        `stage-do;dur=${calls.durable_object_ms.toFixed(1)};desc="${calls.durable_object} durable-object calls"`,
    );
    out.headers.set(
      "x-stage-calls",
      `service_binding=${calls.service_binding}, durable_object=${calls.durable_object}, max_call_bytes=${calls.max_call_bytes}` +
        (overlapped ? ", overlapped" : ""),
    );
    return out;
  }

  private async withTotals(res: Response, totals: StageCallCounts): Promise<Response> {
    const body = (await res.json()) as Record<string, unknown>;
    const { window_max_bytes: _window, ...rest } = totals;
    const headers = new Headers(res.headers);
    headers.delete("content-length"); // the body grows
    return Response.json({ ...body, stage_calls: rest }, { status: res.status, headers });
  }
}
