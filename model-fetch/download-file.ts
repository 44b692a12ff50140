// One file from the Hub into `<dest>/<path>.incomplete`, resumed with `Range: bytes=<offset>-` after a
// dropped connection (within this run) or from a previous run's partial file, verified, then renamed into
// place. @huggingface/hub resolves the download URL (fileDownloadInfo: the resolve URL, or the CDN URL the
// Hub redirects to); the byte transfer is our own range request, because its WebBlob cannot tell us whether
// the server honoured the range (a 200 answer to a ranged request would otherwise be appended as is) and
// turns a failing response into a bare string.
import { fileDownloadInfo, HubApiError } from "@huggingface/hub";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { HubNotFoundError, HubUnreachableError, IntegrityError } from "./errors";
import type { FetchEventHandler } from "./events";
import type { RemoteFile } from "./files";
import { classifyHubError, type HubErrorContext } from "./hub-errors";
import { formatSeconds } from "./hub-fetch";
import { PartialFile } from "./partial-file";

export interface DownloadContext {
  hubUrl: string;
  repo: string;
  revision: string;
  accessToken?: string;
  /** createHubFetch(): connect timeout, network errors as HubUnreachableError. */
  fetch: typeof fetch;
  errors: HubErrorContext;
  /** Further attempts after a dropped connection or a 5xx, each resuming where the last stopped. */
  retries: number;
  /** First backoff; doubles per attempt. */
  retryDelayMs: number;
  /** Abort a transfer that delivers no bytes for this long (then retry). */
  stallTimeoutMs: number;
  signal?: AbortSignal;
  onEvent: FetchEventHandler;
}

export interface DownloadResult {
  /** Bytes received over the network for this file in this call. */
  downloaded: number;
  /** Size of the partial file this call started from. */
  resumedFrom: number;
  seconds: number;
}

/** A transfer that stopped early; retried. */
class Interrupted extends Error {}

export function partialPath(dest: string, path: string): string {
  return join(dest, `${path}.incomplete`);
}

/** Downloads `file` unless `resume` and a partial file exists, in which case it continues that one. */
export async function downloadFile(
  file: RemoteFile,
  dest: string,
  ctx: DownloadContext,
  resume: boolean,
): Promise<DownloadResult> {
  const final = join(dest, file.path);
  const partial = partialPath(dest, file.path);
  await mkdir(dirname(final), { recursive: true });
  const existing = resume ? await sizeOf(partial) : 0;
  const keep = existing <= file.size ? existing : 0;
  const sink = await PartialFile.open(partial, file, keep);
  const t0 = performance.now();
  ctx.onEvent({ type: "file-start", path: file.path, size: file.size, resumeFrom: keep });
  try {
    let url: string | undefined;
    let lastError: unknown;
    for (let attempt = 0; sink.offset < file.size; attempt++) {
      if (attempt > ctx.retries) {
        throw new HubUnreachableError(
          ctx.hubUrl,
          `downloading ${file.path} failed ${attempt} times; last error: ${message(lastError)}`,
          { cause: lastError },
        );
      }
      if (attempt > 0) {
        ctx.onEvent({
          type: "retry",
          path: file.path,
          attempt,
          resumeFrom: sink.offset,
          error: message(lastError),
        });
        await sleep(ctx.retryDelayMs * 2 ** (attempt - 1), ctx.signal);
      }
      try {
        url ??= await resolveUrl(file, ctx);
        await receive(url, file, sink, ctx);
        if (sink.offset < file.size)
          throw new Interrupted(`the response ended at byte ${sink.offset} of ${file.size}`);
      } catch (e) {
        if (ctx.signal?.aborted || !isRetryable(e)) throw e;
        lastError = e;
      }
    }
    await sink.close();
  } catch (e) {
    await sink.abandon();
    throw classifyHubError(e, ctx.errors, file.path);
  }
  const actual = sink.verifier.digest();
  if (sink.verifier.expected !== undefined && actual !== sink.verifier.expected) {
    await rm(partial, { force: true });
    throw new IntegrityError(file.path, `${sink.verifier.check} ${sink.verifier.expected}`, `${actual}`);
  }
  await rename(partial, final);
  return { downloaded: sink.received, resumedFrom: keep, seconds: (performance.now() - t0) / 1000 };
}

/** The URL the bytes come from (the Hub answers with a redirect to its CDN for LFS files). */
async function resolveUrl(file: RemoteFile, ctx: DownloadContext): Promise<string> {
  const info = await fileDownloadInfo({
    repo: ctx.repo,
    revision: ctx.revision,
    path: file.path,
    hubUrl: ctx.hubUrl,
    fetch: ctx.fetch,
    ...(ctx.accessToken ? { accessToken: ctx.accessToken } : {}),
  });
  if (!info)
    throw new HubNotFoundError(
      `file ${file.path} not found in ${ctx.repo}@${ctx.revision} on ${ctx.hubUrl}`,
      "file",
    );
  if (info.size !== file.size) {
    throw new Error(
      `${file.path}: the Hub lists ${file.size} bytes but serves ${info.size} (did the revision change under us? run again)`,
    );
  }
  return info.url;
}

/** One request from `sink.offset` to the end (or until the connection fails). */
async function receive(
  url: string,
  file: RemoteFile,
  sink: PartialFile,
  ctx: DownloadContext,
): Promise<void> {
  const watchdog = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, watchdog.signal]) : watchdog.signal;
  const headers: Record<string, string> = {};
  if (sink.offset > 0) headers.Range = `bytes=${sink.offset}-`;
  // The token is for the Hub itself: the URL a file resolves to may be another origin (the Hub's CDN, with a
  // signed URL of its own), which must not receive it.
  if (ctx.accessToken && new URL(url).origin === new URL(ctx.hubUrl).origin)
    headers.Authorization = `Bearer ${ctx.accessToken}`;
  const res = await ctx.fetch(url, { headers, signal });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    if (res.status === 416 && sink.offset > 0) {
      // The server's copy is no longer than our partial one: it is not the file we were resuming.
      const from = sink.offset;
      await sink.restart();
      throw new Interrupted(`the server refused the range from byte ${from}; starting over`);
    }
    throw new HubApiError(res.url || url, res.status);
  }
  if (sink.offset > 0) {
    if (res.status === 200) await sink.restart();
    else if (!res.headers.get("content-range")?.startsWith(`bytes ${sink.offset}-`)) {
      await res.body?.cancel().catch(() => {});
      throw new Interrupted(
        `asked for bytes ${sink.offset}- and got ${res.headers.get("content-range") ?? "no Content-Range"}`,
      );
    }
  }
  if (!res.body) throw new Interrupted("the response has no body");
  const reader = res.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer = setTimeout(
      () => watchdog.abort(new Error(`no data for ${formatSeconds(ctx.stallTimeoutMs)}`)),
      ctx.stallTimeoutMs,
    );
  };
  try {
    for (;;) {
      arm();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        throw new Interrupted(
          watchdog.signal.aborted ? message(watchdog.signal.reason) : bodyErrorReason(e),
          { cause: e },
        );
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) return;
      await sink.append(chunk.value);
      ctx.onEvent({
        type: "progress",
        path: file.path,
        fileDone: sink.offset,
        fileSize: file.size,
        chunk: chunk.value.length,
      });
    }
  } finally {
    reader.releaseLock();
    if (!watchdog.signal.aborted) watchdog.abort();
  }
}

function isRetryable(e: unknown): boolean {
  if (e instanceof Interrupted || e instanceof HubUnreachableError) return true;
  return e instanceof HubApiError && (e.statusCode >= 500 || e.statusCode === 429);
}

/** undici reports a dropped connection as `TypeError: terminated` with the socket error as cause. */
function bodyErrorReason(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${message(e)}: ${cause.message}` : message(e);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}
