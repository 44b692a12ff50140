// Random requests against the app (the same Hono app the Worker serves, built in Node with the tiny model's
// folder and a scripted engine): random Content-Types, raw bytes, JSON values, multipart bodies with random
// parts and boundaries, url-encoded forms and query strings. Our body handling (kind by Content-Type, body
// limits, base64, the multipart `image` field, option validation, URL policy) must answer every one with a
// documented problem: the status of its code in PROBLEMS, problem+json, and never a 500. MAX_IMAGE_PIXELS=1
// makes every image that gets as far as the header check a 422, so no request reaches the engine.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROBLEMS, type ProblemCode } from "../../worker/problem";
import { makeApp } from "../worker/node-app";

const app = makeApp(
  { MAX_IMAGE_PIXELS: "1", MAX_IMAGE_BYTES: "4096" },
  { fetch: async () => new Response("gone", { status: 404 }) },
);

const ascii = (s: string) => new TextEncoder().encode(s);
const SIGNATURES = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0xff, 0xd8, 0xff],
  [...ascii("GIF89a")],
  [...ascii("RIFF\0\0\0\0WEBP")],
  [...ascii("BM")],
];

const imageLike = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(fc.constantFrom(...SIGNATURES), fc.uint8Array({ maxLength: 200 }))
    .map(([sig, rest]) => new Uint8Array([...sig, ...rest])),
);
const looseText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "od",
    "<OD>",
    "caption",
    "region-to-category",
    "open-vocabulary-detection",
    "<loc_1><loc_2><loc_3><loc_4>",
    "1,2,3,4",
    "[5, 5, 1, 1]",
    "3",
    "0",
    "-1",
    "true",
    "",
    " ",
  ),
);
const urlText = fc.oneof(
  fc.webUrl(),
  fc.constantFrom(
    "http://127.0.0.1/a.png",
    "http://[::1]/",
    "https://images.example/a.png",
    "ftp://x/y",
    "data:image/png;base64,AAAA",
    "http://10.0.0.1:8080/",
    "//no-scheme",
    "https://a.b/c?d=e#f",
  ),
  fc.string({ maxLength: 30 }),
);
const validTask = fc.constantFrom(
  "od",
  "<OD>",
  "caption",
  "ocr",
  "region-to-category",
  "open-vocabulary-detection",
  "<CAPTION_TO_PHRASE_GROUNDING>",
);
const options = fc.record(
  {
    task: fc.oneof(
      { weight: 4, arbitrary: validTask },
      { weight: 1, arbitrary: looseText },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    ),
    text_input: fc.oneof(
      looseText,
      fc.array(fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 5 }),
    ),
    // Mostly valid values, so that requests get past option checks to the image checks often enough.
    num_beams: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
      {
        weight: 1,
        arbitrary: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), fc.string({ maxLength: 3 })),
      },
    ),
    max_new_tokens: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }) },
      { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -2, max: 5000 }), fc.string({ maxLength: 3 })) },
    ),
    max_length: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 16, max: 1000 }) },
      { weight: 1, arbitrary: fc.integer({ min: -5, max: 2000 }) },
    ),
    detail: fc.oneof(
      { weight: 4, arbitrary: fc.boolean() },
      { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
    ),
  },
  { requiredKeys: [] },
);
/** One image source (or none, or both), so that each source's own checks are reached. */
const source = fc.oneof(
  fc.record({
    image_base64: fc.oneof(
      fc.string({ maxLength: 40 }),
      imageLike.map((b) => Buffer.from(b).toString("base64")),
      fc.integer({ min: 4000, max: 6000 }).map((n) => Buffer.alloc(n).toString("base64")),
    ),
  }),
  fc.record({ image_url: urlText }),
  fc.record({ image_url: urlText, image_base64: fc.string({ maxLength: 8 }) }),
  fc.constant({}),
);
const jsonBody = fc.oneof(
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  {
    weight: 4,
    arbitrary: fc.tuple(source, options).map(([src, opts]) => JSON.stringify({ ...opts, ...src })),
  },
);

function multipartBody(
  boundary: string,
  parts: { name: string; file: boolean; data: Uint8Array }[],
  close: boolean,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(
      ascii(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.file ? '; filename="x.png"\r\nContent-Type: image/png' : ""}\r\n\r\n`,
      ),
      p.data,
      ascii("\r\n"),
    );
  }
  if (close) chunks.push(ascii(`--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

const part = fc.record({
  name: fc.oneof(
    fc.constantFrom("image", "task", "text_input", "num_beams", "max_new_tokens", "detail"),
    fc.string({ maxLength: 8 }),
  ),
  file: fc.boolean(),
  data: fc.oneof(imageLike, looseText.map(ascii)),
});
const multipart = fc
  .record({
    boundary: fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
    declared: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,20}$/)),
    parts: fc.array(part, { maxLength: 4 }),
    close: fc.boolean(),
  })
  .map(({ boundary, declared, parts, close }) => ({
    contentType: `multipart/form-data; boundary=${declared ?? boundary}`,
    body: multipartBody(boundary, parts, close),
  }));

const request = fc.record({
  path: fc.constantFrom("/v1/analyze", "/v1/alt-text"),
  query: fc.oneof(
    fc.constant({}),
    fc.record({ task: validTask }),
    fc.dictionary(
      fc.constantFrom(
        "task",
        "text_input",
        "num_beams",
        "max_new_tokens",
        "max_length",
        "detail",
        "x1",
        "zzz",
      ),
      looseText,
      { maxKeys: 3 },
    ),
  ),
  payload: fc.oneof(
    fc.record({
      contentType: fc.constantFrom("image/png", "image/jpeg", "application/octet-stream", "image/anything"),
      body: fc.oneof(
        { weight: 5, arbitrary: imageLike },
        { weight: 1, arbitrary: fc.integer({ min: 4000, max: 6000 }).map((n) => new Uint8Array(n)) },
      ),
    }),
    fc.record({
      contentType: fc.constantFrom(
        "application/json",
        "application/problem+json",
        "application/json; charset=utf-8",
      ),
      body: jsonBody.map(ascii),
    }),
    multipart,
    fc.record({
      contentType: fc.constant("application/x-www-form-urlencoded"),
      body: fc
        .dictionary(fc.string({ maxLength: 10 }), looseText, { maxKeys: 4 })
        .map((d) => ascii(new URLSearchParams(d).toString())),
    }),
    fc.record({
      contentType: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom("text/plain", "multipart/form-data", "application/xml", ""),
      ),
      body: fc.uint8Array({ maxLength: 100 }),
    }),
    fc.record({ contentType: fc.constant(undefined), body: fc.constant(undefined) }),
  ),
});

describe("random requests get documented problems, never a 500", () => {
  it("status, problem+json and a code from PROBLEMS whose status matches", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ path, query, payload }) => {
        const qs = new URLSearchParams(query).toString();
        const headers: Record<string, string> =
          payload.contentType !== undefined ? { "content-type": payload.contentType } : {};
        const res = await app.request(`${path}${qs ? `?${qs}` : ""}`, {
          method: "POST",
          headers,
          body: payload.body as BodyInit | undefined,
        });
        const text = await res.text();
        expect(res.status, text).not.toBe(500);
        expect(res.status, text).not.toBe(200);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        const body = JSON.parse(text) as { code: ProblemCode; status: number };
        expect(Object.keys(PROBLEMS)).toContain(body.code);
        expect(PROBLEMS[body.code].status).toBe(res.status);
        expect(body.status).toBe(res.status);
        seen.set(body.code, (seen.get(body.code) ?? 0) + 1);
      }),
      { numRuns: 600 },
    );
    console.log(`answers over 600 random requests: ${[...seen].map(([c, n]) => `${c} ${n}`).join(", ")}`);
    // The generators reach deep enough to meet most refusals (not just the first check).
    expect(seen.size).toBeGreaterThanOrEqual(8);
  });
});
