// Reads a byte stream while counting, and stops as soon as it passes the limit (a lying or absent
// Content-Length must not let a body grow without bound).
import { ApiError } from "./problem";

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError("image_too_large", `The image is larger than ${maxBytes} bytes.`, { max_bytes: maxBytes });
}

export async function readBounded(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
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
