// Fetches an image_url under the URL policy: redirects followed by hand (at most 3), each hop re-checked;
// one deadline for the whole exchange, body included; the size counted while streaming.
import { ApiError } from "./problem";
import { readBounded, tooLarge } from "./read-body";
import { checkImageUrl } from "./url-policy";

export const MAX_REDIRECTS = 3;

export interface UrlFetchOptions {
  fetch: typeof fetch;
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
  /** Extra check of the host before each hop (Node: DNS resolution must give public addresses only). */
  checkHost?: (hostname: string) => Promise<void>;
}

const isTimeout = (e: unknown) =>
  e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");

function failed(detail: string): ApiError {
  return new ApiError("url_fetch_failed", detail);
}

export async function fetchImageUrl(raw: string, opts: UrlFetchOptions): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let url = checkImageUrl(raw, opts.allowPrivate);
  try {
    for (let hop = 0; ; hop++) {
      await opts.checkHost?.(url.hostname);
      let res: Response;
      try {
        res = await opts.fetch(url.href, { redirect: "manual", signal, headers: { accept: "image/*" } });
      } catch (e) {
        if (isTimeout(e)) throw e;
        throw failed(`Could not connect to ${url.host}.`);
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) throw failed(`More than ${MAX_REDIRECTS} redirects.`);
        url = checkImageUrl(new URL(location, url), opts.allowPrivate);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw failed(`${url.host} answered HTTP ${res.status}.`);
      }
      const declared = Number(res.headers.get("content-length"));
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw tooLarge(opts.maxBytes);
      }
      return await readBounded(res.body, opts.maxBytes, signal);
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (isTimeout(e))
      throw new ApiError(
        "url_fetch_timeout",
        `No complete answer from the image_url within ${opts.timeoutMs} ms.`,
      );
    throw failed("The image_url could not be read.");
  }
}
