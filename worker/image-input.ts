// Where the image and the parameters of a request come from, by Content-Type:
//   image/* or application/octet-stream  the body is the image; parameters in the query string
//   multipart/form-data                  field `image` is the file; parameters as form fields (or query)
//   application/json                     `image_url` or `image_base64`; parameters in the body (or query)
// The body size was already bounded by the body-limit middleware; decoded/fetched images are bounded here.
import type { AppConfig } from "./config";
import { ApiError } from "./problem";
import { tooLarge } from "./read-body";
import { fetchImageUrl } from "./url-fetch";

export interface ImageSourceFields {
  image_url?: string;
  image_base64?: string;
}

export interface ImageFetchDeps {
  fetch: typeof fetch;
  checkHost?: (hostname: string) => Promise<void>;
}

export type BodyKind = "json" | "form" | "raw" | "none";

export function bodyKind(contentType: string | undefined): BodyKind {
  const essence = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (essence === "") return "none";
  if (essence === "application/json" || /^application\/[a-z.-]+\+json$/.test(essence)) return "json";
  if (essence === "multipart/form-data" || essence === "application/x-www-form-urlencoded") return "form";
  return "raw";
}

/** Raw body upload: already read and bounded by the body limit. */
export function rawImage(body: ArrayBuffer, config: AppConfig): Uint8Array {
  if (body.byteLength === 0)
    throw new ApiError(
      "missing_image",
      "The request body is empty; send the image bytes, a multipart `image` field, or JSON with image_url/image_base64.",
    );
  if (body.byteLength > config.maxImageBytes) throw tooLarge(config.maxImageBytes);
  return new Uint8Array(body);
}

export async function formImage(file: Blob, config: AppConfig): Promise<Uint8Array> {
  if (file.size > config.maxImageBytes) throw tooLarge(config.maxImageBytes);
  if (file.size === 0) throw new ApiError("missing_image", "The `image` field is empty.");
  return new Uint8Array(await file.arrayBuffer());
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64Image(text: string, maxBytes: number): Uint8Array {
  const data = text
    .replace(/^data:[^,]*;base64,/i, "")
    .replace(/\s+/g, "")
    .replace(/-/g, "+")
    .replace(/_/g, "/");
  if (data.length === 0) throw new ApiError("missing_image", "image_base64 is empty.");
  if (!BASE64.test(data) || data.length % 4 === 1)
    throw new ApiError("invalid_request", "image_base64 is not valid base64.");
  // Check the size before decoding anything: base64 holds 3 bytes per 4 characters.
  if (Math.floor((data.length * 3) / 4) - (data.match(/=+$/)?.[0].length ?? 0) > maxBytes)
    throw tooLarge(maxBytes);
  let binary: string;
  try {
    binary = atob(data);
  } catch {
    // The pattern above lets through padding atob refuses ("/=", "AA=" …): still not base64.
    throw new ApiError("invalid_request", "image_base64 is not valid base64.");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** JSON body: exactly one of image_url and image_base64. */
export async function jsonImage(
  body: ImageSourceFields,
  config: AppConfig,
  deps: ImageFetchDeps,
): Promise<Uint8Array> {
  const { image_url: url, image_base64: b64 } = body;
  if (url !== undefined && b64 !== undefined)
    throw new ApiError("invalid_request", "Give image_url or image_base64, not both.");
  if (b64 !== undefined) return decodeBase64Image(b64, config.maxImageBytes);
  if (url !== undefined) {
    return fetchImageUrl(url, {
      fetch: deps.fetch,
      checkHost: deps.checkHost,
      allowPrivate: config.allowPrivateUrls,
      timeoutMs: config.urlFetchTimeoutMs,
      maxBytes: config.maxImageBytes,
    });
  }
  throw new ApiError("missing_image", "The JSON body has neither image_url nor image_base64.");
}
