// Sends the workload's requests over HTTP with a fixed number in flight, each with a timeout, all under one
// deadline: past it no request is started and those in flight are aborted (and counted, never dropped).
// Optionally retries 429/503 answers after their Retry-After, as a well-behaved client would.
import { request as httpRequest } from "node:http";
import { toHttp, type LoadRequest, type Workload } from "./workload";

export interface AnalyzeBody {
  task: string;
  result: Record<string, unknown>;
  image: { width: number; height: number; sha256: string };
  cache: { features: string; result: string };
}

export interface Outcome {
  id: number;
  /** HTTP status, or what happened instead of an answer. */
  status: number | "network_error" | "timeout" | "not_sent";
  /** problem+json `code` of an error answer. */
  code?: string;
  retryAfter?: string | null;
  body?: AnalyzeBody;
  /** From the first send to the final answer (retries included). */
  ms: number;
  attempts: number;
  error?: string;
}

export interface RunOptions {
  baseUrl: string;
  concurrency: number;
  deadlineMs: number;
  timeoutMs: number;
  /** Retries of a 429/503 with Retry-After (0: report the first answer). */
  retries: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One POST on its own connection (node:http, no agent). With keep-alive, local workerd resets a connection
 * whose previous request ran for more than ~5 s (the model load): the next request on it failed with
 * ECONNRESET after ~20 ms, every time. That is the local listener, not the Worker, and it is not what a
 * load test should count, so every request gets a fresh loopback connection.
 */
async function post(url: string, init: RequestInit, signal: AbortSignal): Promise<HttpAnswer> {
  const req = new Request(url, init);
  const body = Buffer.from(await req.arrayBuffer());
  const headers: Record<string, string> = {
    ...Object.fromEntries(req.headers),
    "content-length": String(body.length),
  };
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { method: req.method, headers, agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(body);
  });
}

async function sendOnce(
  r: LoadRequest,
  w: Workload,
  o: RunOptions,
  deadline: AbortSignal,
): Promise<Omit<Outcome, "ms" | "attempts">> {
  const { path, init } = toHttp(r, w);
  const signal = AbortSignal.any([deadline, AbortSignal.timeout(o.timeoutMs)]);
  try {
    const res = await post(o.baseUrl + path, init, signal);
    const json = String(res.headers["content-type"] ?? "").includes("json")
      ? (JSON.parse(res.text) as Record<string, unknown>)
      : {};
    if (res.status === 200) return { id: r.id, status: 200, body: json as unknown as AnalyzeBody };
    const retryAfter = res.headers["retry-after"];
    return {
      id: r.id,
      status: res.status,
      code: typeof json.code === "string" ? json.code : undefined,
      retryAfter: typeof retryAfter === "string" ? retryAfter : null,
      error: res.text.slice(0, 200),
    };
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const cause = e instanceof Error && e.cause ? ` (${String(e.cause)})` : "";
    return {
      id: r.id,
      status: name === "TimeoutError" || name === "AbortError" ? "timeout" : "network_error",
      error: `${String(e)}${cause}`,
    };
  }
}

export async function runRequests(
  w: Workload,
  requests: readonly LoadRequest[],
  o: RunOptions,
): Promise<{ outcomes: Outcome[]; wallMs: number }> {
  const outcomes: Outcome[] = requests.map((r) => ({ id: r.id, status: "not_sent", ms: 0, attempts: 0 }));
  const deadline = AbortSignal.timeout(o.deadlineMs);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < requests.length && !deadline.aborted) {
      const r = requests[next++]!;
      const started = performance.now();
      let attempts = 0;
      for (;;) {
        attempts++;
        const got = await sendOnce(r, w, o, deadline);
        const retryable =
          (got.status === 429 || got.status === 503) &&
          got.retryAfter &&
          attempts <= o.retries &&
          !deadline.aborted;
        if (!retryable) {
          outcomes[r.id] = { ...got, ms: performance.now() - started, attempts };
          break;
        }
        await sleep(Math.min(Number(got.retryAfter) * 1000, 5000));
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { outcomes, wallMs: performance.now() - t0 };
}
