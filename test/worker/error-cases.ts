// The error cases of the issue as one table, answered by every implementation of the app: the Worker bundle in
// workerd (workerd-errors.test.ts) and the app in Node (app-errors.test.ts). Each case is a request and the
// RFC 9457 problem (status, stable code) it must produce, never with a stack trace.
import { expect } from "vitest";
import { picturePng, pngHeaderOnly, truncatedPng } from "./images";

export const MAX_BYTES = 200_000;
export const PNG = picturePng(48, 32, 3);

/** Limits the table is written for. */
export const ERROR_CASE_VARS = {
  MAX_IMAGE_BYTES: String(MAX_BYTES),
  URL_FETCH_TIMEOUT_MS: "500",
  DEFAULT_MAX_NEW_TOKENS: "4",
  MAX_NEW_TOKENS_CAP: "64",
};

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stand-in internet behind image_url (hosts are ignored, paths decide). */
export async function outbound(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (path === "/picture.png") return new Response(PNG as Uint8Array<ArrayBuffer>);
  if (path === "/slow.png") return delay(3000).then(() => new Response(PNG as Uint8Array<ArrayBuffer>));
  if (path === "/loop") return new Response(null, { status: 301, headers: { location: "/loop" } });
  if (path === "/to-private")
    return new Response(null, { status: 302, headers: { location: "http://10.0.0.7/picture.png" } });
  if (path === "/big.png") {
    // Streamed without Content-Length: the size can only be known by counting.
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    return new Response(new ReadableStream({ pull: (c) => (sent++ < 8 ? c.enqueue(chunk) : c.close()) }));
  }
  return new Response("missing", { status: 404 });
}

export interface Case {
  name: string;
  path?: string;
  init: RequestInit;
  status: number;
  code: string;
}

const raw = (body: Uint8Array | string, contentType = "image/png", query = "") => ({
  path: `/v1/analyze${query}`,
  init: { method: "POST", headers: { "content-type": contentType }, body: body as BodyInit },
});
const json = (body: unknown) => ({
  path: "/v1/analyze",
  init: {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  },
});
const url = (u: string) => json({ image_url: u, task: "<CAPTION>" });

export const CASES: Case[] = [
  {
    name: "Content-Type not accepted",
    ...raw("hello", "text/plain"),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "bytes that are no supported image",
    ...raw(new TextEncoder().encode("GIF? no, plain text")),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "raw body over MAX_IMAGE_BYTES",
    ...raw(new Uint8Array(MAX_BYTES + 1)),
    status: 413,
    code: "image_too_large",
  },
  {
    name: "base64 image over MAX_IMAGE_BYTES",
    ...json({ image_base64: Buffer.from(new Uint8Array(MAX_BYTES + 10)).toString("base64") }),
    status: 413,
    code: "image_too_large",
  },
  {
    name: "side under 16 px",
    ...raw(pngHeaderOnly(8, 64)),
    status: 422,
    code: "image_dimensions_out_of_range",
  },
  {
    name: "side over 16000 px",
    ...raw(pngHeaderOnly(16001, 20)),
    status: 422,
    code: "image_dimensions_out_of_range",
  },
  {
    name: "more pixels than MAX_IMAGE_PIXELS",
    ...raw(pngHeaderOnly(5000, 5000)),
    status: 422,
    code: "image_dimensions_out_of_range",
  },
  { name: "truncated PNG", ...raw(truncatedPng()), status: 422, code: "undecodable_image" },
  { name: "unknown task", ...raw(PNG, "image/png", "?task=<DETECT>"), status: 400, code: "unknown_task" },
  {
    name: "unknown task in JSON",
    ...json({ image_base64: "AAAA", task: "segment" }),
    status: 400,
    code: "unknown_task",
  },
  {
    name: "region task without text_input",
    ...raw(PNG, "image/png", "?task=region-to-category"),
    status: 400,
    code: "text_input_required",
  },
  {
    name: "text task with blank text_input",
    ...raw(PNG, "image/png", "?task=open-vocabulary-detection&text_input=%20"),
    status: 400,
    code: "text_input_required",
  },
  {
    name: "text_input for a task without input",
    ...raw(PNG, "image/png", "?task=caption&text_input=hello"),
    status: 400,
    code: "text_input_not_allowed",
  },
  {
    name: "reversed region corners",
    ...raw(
      PNG,
      "image/png",
      `?task=region-to-ocr&text_input=${encodeURIComponent("<loc_900><loc_0><loc_100><loc_10>")}`,
    ),
    status: 400,
    code: "invalid_region",
  },
  {
    name: "region of three numbers",
    ...raw(PNG, "image/png", "?task=region-to-ocr&text_input=[1,2,3]"),
    status: 400,
    code: "invalid_region",
  },
  {
    name: "text_input too long",
    ...raw(PNG, "image/png", `?task=open-vocabulary-detection&text_input=${"a".repeat(1001)}`),
    status: 400,
    code: "text_input_too_long",
  },
  {
    name: "num_beams out of range",
    ...raw(PNG, "image/png", "?num_beams=7"),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "max_new_tokens over the server cap",
    ...raw(PNG, "image/png", "?max_new_tokens=65"),
    status: 400,
    code: "invalid_request",
  },
  { name: "malformed JSON", ...json("{not json"), status: 400, code: "invalid_request" },
  {
    name: "both image_url and image_base64",
    ...json({ image_url: "https://images.example/picture.png", image_base64: "AAAA" }),
    status: 400,
    code: "invalid_request",
  },
  { name: "invalid base64", ...json({ image_base64: "@@@@" }), status: 400, code: "invalid_request" },
  { name: "empty raw body", ...raw(new Uint8Array(0)), status: 400, code: "missing_image" },
  {
    name: "no body at all",
    path: "/v1/analyze",
    init: { method: "POST" },
    status: 400,
    code: "missing_image",
  },
  { name: "JSON without an image", ...json({ task: "od" }), status: 400, code: "missing_image" },
  {
    name: "multipart without an image field",
    path: "/v1/analyze",
    init: {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=XyZ" },
      body: '--XyZ\r\nContent-Disposition: form-data; name="task"\r\n\r\nod\r\n--XyZ--\r\n',
    },
    status: 400,
    code: "missing_image",
  },
  {
    name: "image_url on loopback",
    ...url("http://127.0.0.1/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url to localhost",
    ...url("http://localhost/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url to the metadata address",
    ...url("http://169.254.169.254/latest/meta-data"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url to IPv6 loopback",
    ...url("http://[::1]/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url to an *.internal host",
    ...url("https://cache.internal/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url on a non-default port",
    ...url("https://images.example:8443/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url with another scheme",
    ...url("ftp://images.example/picture.png"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url redirecting to a private address",
    ...url("https://images.example/to-private"),
    status: 400,
    code: "url_not_allowed",
  },
  {
    name: "image_url answering 404",
    ...url("https://images.example/nothing.png"),
    status: 502,
    code: "url_fetch_failed",
  },
  {
    name: "image_url redirecting forever",
    ...url("https://images.example/loop"),
    status: 502,
    code: "url_fetch_failed",
  },
  {
    name: "image_url too slow",
    ...url("https://images.example/slow.png"),
    status: 504,
    code: "url_fetch_timeout",
  },
  {
    name: "image_url body over the limit",
    ...url("https://images.example/big.png"),
    status: 413,
    code: "image_too_large",
  },
  {
    name: "alt-text with max_length out of range",
    path: "/v1/alt-text?max_length=5",
    init: raw(PNG).init,
    status: 400,
    code: "invalid_request",
  },
  { name: "unknown route", path: "/v2/analyze", init: { method: "GET" }, status: 404, code: "not_found" },
];

export async function expectProblem(
  res: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: `urn:florence-edge:problem:${code}`,
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  // Never a stack trace or an internal path.
  expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|node_modules|stack/i);
  return body;
}
