// The hostile-input corpus (hostile-cases.ts) against the real Worker in workerd with the tiny model. For
// every case: the documented problem+json status and code (or, where the decoder may accept mutated bytes,
// one of the listed answers), within the case's time bound; the Worker's WebAssembly memory did not grow
// (onnxruntime-web's and photon's: the only place a decoded image or a tensor can live); and the next valid
// request, which runs the language model, succeeds. At the end the isolate's JS heap, after a full GC, is back
// near its size after the warm-up. One Miniflare instance; the model loads once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModelDir } from "../helpers/tiny-model";
import { hostileCases, hostileInternet, HOSTILE_VARS, VALID, type HostileCase } from "./hostile-cases";
import { startReliabilityWorker, type HeapUsage, type ReliabilityWorker } from "./reliability-worker";

const sent = { chunks: 0 };
const CASES = hostileCases(sent);

let worker: ReliabilityWorker;
let warmHeap: HeapUsage;
let probes = 0;
const grown: string[] = [];

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(2)} MiB`;

/** A valid request answered from the result cache: the Worker itself is fine. */
async function cheapProbe(): Promise<void> {
  const res = await worker.fetch("/v1/analyze", {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: VALID as Uint8Array<ArrayBuffer>,
  });
  const body = (await res.json()) as { cache?: { result: string } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.cache?.result).toBe("hit");
}

/** A valid request that runs the language model (a new text_input each time, so never a result-cache hit). */
async function probe(): Promise<void> {
  const query = new URLSearchParams({
    task: "<CAPTION_TO_PHRASE_GROUNDING>",
    text_input: `probe ${probes++}`,
    max_new_tokens: "1",
  });
  const res = await worker.fetch(`/v1/analyze?${query}`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: VALID as Uint8Array<ArrayBuffer>,
  });
  const body = (await res.json()) as { cache?: { features: string; result: string } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.cache).toEqual({ features: "hit", result: "miss" });
}

beforeAll(async () => {
  worker = await startReliabilityWorker({
    modelDir: tinyModelDir(),
    vars: HOSTILE_VARS,
    outbound: hostileInternet,
    inspector: true,
  });
  // Warm-up: the model loads, VALID's features and result are cached, the image_url path is exercised.
  const first = await worker.fetch("/v1/analyze", {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: VALID as Uint8Array<ArrayBuffer>,
  });
  expect(first.status, await first.text()).toBe(200);
  const fetched = await worker.fetch("/v1/analyze", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image_url: "https://images.example/picture.png", max_new_tokens: 3 }),
  });
  expect(fetched.status, await fetched.text()).toBe(200);
  await probe();
  warmHeap = await worker.heap();
});

afterAll(async () => {
  await worker?.dispose();
});

async function send(
  c: HostileCase,
): Promise<{ status: number; text: string; contentType: string | null } | "reset"> {
  try {
    const res = await worker.fetch(c.path ?? "/v1/analyze", c.init());
    return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
  } catch (e) {
    // Only the runtime's own refusals may drop the connection while the body is still being sent.
    if (c.platform) return "reset";
    throw e;
  }
}

describe("hostile input against the Worker in workerd (tiny model)", () => {
  it.each(CASES)("$name", async (c) => {
    const before = await worker.memory();
    const t0 = performance.now();
    const answer = await send(c);
    const ms = performance.now() - t0;
    if (answer !== "reset") {
      const body = answer.contentType?.includes("json")
        ? (JSON.parse(answer.text) as Record<string, unknown>)
        : {};
      const got = { status: answer.status, ...(typeof body.code === "string" ? { code: body.code } : {}) };
      expect(c.answers, `answered ${answer.status} ${answer.text.slice(0, 300)}`).toContainEqual(
        c.platform || got.status === 200 ? { status: got.status } : got,
      );
      if (answer.status !== 200 && !c.platform) {
        expect(answer.contentType).toBe("application/problem+json");
        expect(body).toMatchObject({
          type: `urn:florence-edge:problem:${String(body.code)}`,
          status: answer.status,
          title: expect.any(String),
          detail: expect.any(String),
        });
        expect(answer.text).not.toMatch(/\bat .*\(|\.ts:\d+|node_modules|stack/i);
      }
    }
    expect(ms, `took ${Math.round(ms)} ms`).toBeLessThanOrEqual(c.maxMs);
    if (c.minMs !== undefined) expect(ms).toBeGreaterThanOrEqual(c.minMs - 50);
    c.check?.();
    // WebAssembly memory never shrinks. A refused request must not have grown it at all; one that ran the
    // model may have grown onnxruntime's heap by one Emscripten step (≤ 20 %: its arena, not the input).
    const after = await worker.memory();
    const grewBy = after.total - before.total;
    if (grewBy > 0) grown.push(`${c.name}: ${mib(before.total)} → ${mib(after.total)}`);
    if (answer === "reset" || answer.status !== 200)
      expect(after.wasm, `WASM memory grew from ${mib(before.total)} to ${mib(after.total)}`).toEqual(
        before.wasm,
      );
    else expect(after.total).toBeLessThanOrEqual(before.total * 1.25);
    // The next valid request: one that runs the model after anything that reached the decoder or the model
    // (or failed on the server's side), a result-cache hit after a refusal that never got that far.
    if (answer !== "reset" && (answer.status === 200 || answer.status === 422 || answer.status >= 500))
      await probe();
    else await cheapProbe();
  });

  it("leaves the JS heap (after a full GC) within 2 MiB of its size after the warm-up", async () => {
    const end = await worker.heap();
    const wasm = await worker.memory();
    const grew = end.usedSize + end.backingStorageSize - (warmHeap.usedSize + warmHeap.backingStorageSize);
    console.log(
      `after ${CASES.length} hostile requests and ${probes} model probes: JS heap ${mib(warmHeap.usedSize)} → ${mib(end.usedSize)}, ` +
        `ArrayBuffers ${mib(warmHeap.backingStorageSize)} → ${mib(end.backingStorageSize)}; WASM memories ${wasm.wasm.map(mib).join(" + ")}; ` +
        `grown by: ${grown.length === 0 ? "no case" : grown.join("; ")}`,
    );
    expect(grew).toBeLessThan(2 * MiB);
    const stats = (await (await worker.fetch("/v1/stats")).json()) as Record<string, number>;
    expect(stats.in_flight).toBe(1 - 1); // nothing left in flight (this stats request is not an image request)
    expect(stats.queue_depth).toBe(0);
  });
});
