// The fetch every Hub request goes through. Node's fetch has no connect timeout of its own short enough for
// a start-up check (undici waits 10 s for TCP, then up to 300 s for headers), so each request must get its
// response headers within `connectTimeoutMs`; after that the body may take as long as it needs (the
// downloader watches for stalls itself). Network-level failures become HubUnreachableError here, once.
import { HubUnreachableError } from "./errors";

export interface HubFetchOptions {
  /** The Hub's base URL, named in error messages. */
  hubUrl: string;
  connectTimeoutMs: number;
  /** Records the Hub's `X-Error-Code` header of failed responses by URL (HubApiError does not keep headers). */
  errorCodes?: Map<string, string>;
}

/** A fetch for @huggingface/hub's `fetch` parameter and for the downloader's own range requests. */
export function createHubFetch(opts: HubFetchOptions): typeof fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`no response within ${formatSeconds(opts.connectTimeoutMs)}`)),
      opts.connectTimeoutMs,
    );
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      const res = await fetch(input, { ...init, signal });
      const code = res.ok ? null : res.headers.get("x-error-code");
      if (code) opts.errorCodes?.set(res.url || urlOf(input), code);
      return res;
    } catch (e) {
      // The caller's own abort (user cancel, stall watchdog) is not a reachability verdict.
      if (init?.signal?.aborted) throw e;
      throw new HubUnreachableError(
        opts.hubUrl,
        networkReason(e, deadline.signal, urlOf(input), opts.hubUrl),
        { cause: e },
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

/** A short human reason from undici's `TypeError: fetch failed` (the useful part is in `cause`). */
export function networkReason(
  e: unknown,
  deadline: AbortSignal | undefined,
  url: string,
  hubUrl: string,
): string {
  let reason: string;
  if (deadline?.aborted && deadline.reason instanceof Error) reason = deadline.reason.message;
  else {
    const cause = (e as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause : e instanceof Error ? e : undefined;
    const code = (detail as { code?: unknown } | undefined)?.code;
    reason = detail?.message ?? String(e);
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") reason = `DNS lookup failed (${reason})`;
    else if (typeof code === "string" && !reason.includes(code)) reason = `${reason} (${code})`;
  }
  // LFS files are served from a CDN host; say which host failed when it is not the Hub itself.
  const host = safeHost(url);
  if (host && host !== safeHost(hubUrl)) reason += ` (while fetching from ${host})`;
  return reason;
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
