// `npm start -- --check-image FILE`: one <CAPTION> request against the running API, timed, to show the
// chain works end to end (and to measure the first request of a cold local deployment).

export interface CaptionCheck {
  status: number;
  seconds: number;
  caption?: string;
  synthetic?: boolean;
  timings?: Record<string, number>;
  /** worker/staged's count of cross-isolate calls for this request (x-stage-calls). */
  stageCalls?: string;
  body: string;
}

export async function captionCheck(url: string, image: Uint8Array, timeoutMs: number): Promise<CaptionCheck> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/analyze?task=${encodeURIComponent("<CAPTION>")}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: new Blob([image as Uint8Array<ArrayBuffer>]),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  const seconds = (performance.now() - t0) / 1000;
  try {
    const json = JSON.parse(body) as {
      result?: Record<string, unknown>;
      model?: { synthetic?: boolean };
      timings?: Record<string, number>;
    };
    const caption = json.result?.["<CAPTION>"];
    return {
      status: res.status,
      seconds,
      caption: typeof caption === "string" ? caption : undefined,
      synthetic: json.model?.synthetic,
      timings: json.timings,
      stageCalls: res.headers.get("x-stage-calls") ?? undefined,
      body,
    };
  } catch {
    return { status: res.status, seconds, stageCalls: res.headers.get("x-stage-calls") ?? undefined, body };
  }
}
