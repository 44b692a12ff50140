// Reads a byte stream while counting, and stops as soon as it passes the limit (a lying or absent
// Content-Length must not let a body grow without bound).
import { ApiError } from "./problem";

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError("image_too_large", `The image is larger than ${maxBytes} bytes.`, {
    max_bytes: maxBytes,
  });
}

/** Reads all of a stream, refusing more than maxBytes; an abort of `signal` cancels the read. */
export async function readBounded(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Not every fetch ties the body to the request's signal: race each read against it.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await (signal ? Promise.race([reader.read(), aborted]) : reader.read());
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
