// The stage Worker's pieces that need no onnxruntime: reading the split folder from R2 or KV with every file
// checked against the manifest (sizes and sha256 computed here with node:crypto, independently of the Web
// Crypto code under test), the RPC wire format and its 32 MiB limit, stage errors across the RPC boundary
// and the API answers they become, and the binding names the deploy config and the API Worker share.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SplitManifest, Stage } from "../../model-splitter/manifest";
import { isDecoderSide, stageBindingName, stageObjectBindingName } from "../../stage-worker/bindings";
import { parseStageError, stageError } from "../../stage-worker/errors";
import { storeReader, verifiedLoader } from "../../stage-worker/model-store";
import { assertWithinRpcLimit, fromWire, RPC_LIMIT_BYTES, toWire } from "../../stage-worker/wire";
import { ApiError } from "../../worker/problem";
import { RpcStageRunner } from "../../worker/staged/rpc-runner";
import { stageFailure } from "../../worker/staged/stage-failure";

const bytes = new TextEncoder().encode("weights of a stage, in a chunk");
const entry = {
  path: "stages/vision-2/g2.onnx.data.0",
  bytes: bytes.length,
  sha256: createHash("sha256").update(bytes).digest("hex"),
};
const objects = new Map([["split/" + entry.path, bytes]]);
const r2 = {
  get: async (k: string) =>
    objects.has(k) ? { arrayBuffer: async () => objects.get(k)!.slice().buffer } : null,
};
const kv = {
  get: async (k: string, _t: "arrayBuffer") => (objects.has(k) ? objects.get(k)!.slice().buffer : null),
};

const stage = (id: string, role: Stage["role"]) => ({ id, role }) as Stage;

describe("stage store: R2 or KV, every file checked against the manifest", () => {
  for (const [name, env] of [
    ["r2", { MODEL: r2, MODEL_PREFIX: "split/" }],
    ["kv", { MODEL_KV: kv, MODEL_PREFIX: "split/", MODEL_STORE: "kv" }],
  ] as const) {
    it(`${name}: a matching file loads; a changed, short, unlisted or missing one fails naming it`, async () => {
      const load = verifiedLoader(storeReader(env), [entry]);
      expect(await load(entry.path)).toEqual(bytes);
      const flipped = bytes.slice();
      flipped[3] = flipped[3]! ^ 1;
      objects.set("split/" + entry.path, flipped);
      await expect(load(entry.path)).rejects.toThrow(`chunk ${entry.path} sha256 mismatch`);
      objects.set("split/" + entry.path, bytes.slice(1));
      await expect(load(entry.path)).rejects.toThrow(/has \d+ bytes, the manifest says/);
      objects.delete("split/" + entry.path);
      await expect(load(entry.path)).rejects.toThrow("is not in the");
      await expect(load("stages/other.bin")).rejects.toThrow("not listed in the manifest");
      objects.set("split/" + entry.path, bytes);
    });
  }

  it("a misconfigured store is named", () => {
    expect(() => storeReader({ MODEL_STORE: "kv" })).toThrow("no MODEL_KV binding");
    expect(() => storeReader({ MODEL_STORE: "s3" })).toThrow('MODEL_STORE must be "r2" or "kv"');
  });
});

describe("RPC wire", () => {
  it("round-trips every element type, views into larger buffers included", () => {
    const big = new Float32Array(10).map((_, i) => i + 0.5);
    const named = new Map([
      ["f", { type: "float32" as const, dims: [2, 3], data: big.subarray(2, 8) }],
      ["i", { type: "int64" as const, dims: [3], data: BigInt64Array.of(1n, -2n, 2n ** 40n) }],
      ["b", { type: "bool" as const, dims: [1], data: Uint8Array.of(1) }],
    ]);
    const wire = toWire(named);
    expect(wire.f!.data.byteLength).toBe(24);
    const back = fromWire(structuredClone(wire));
    expect([...back.get("f")!.data]).toEqual([2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    expect([...back.get("i")!.data]).toEqual([1n, -2n, 2n ** 40n]);
    expect(back.get("b")!.data).toEqual(Uint8Array.of(1));
  });

  it("refuses a payload over 32 MiB with the largest tensors named", () => {
    const wire = {
      big: { type: "float32" as const, dims: [RPC_LIMIT_BYTES / 4], data: new ArrayBuffer(RPC_LIMIT_BYTES) },
    };
    expect(() => assertWithinRpcLimit(wire, "the call to stage vision-0")).toThrow(
      /the call to stage vision-0: 33554432 bytes .* 32 MiB RPC limit \(largest: big/,
    );
  });
});

describe("stage errors across RPC → API answers naming the stage", () => {
  it("load failures: 503 model_unavailable with the reason; the cause stays in the logs", () => {
    const err = stageError(
      "vision-2",
      "load",
      new Error(`chunk ${entry.path} sha256 mismatch (ab…, expected cd…)`),
    );
    expect(parseStageError(err)).toMatchObject({ stageId: "vision-2", kind: "load" });
    const api = stageFailure(stage("vision-2", "vision"), new Error(err.message)); // RPC keeps only the message
    expect(api).toBeInstanceOf(ApiError);
    expect(api.status).toBe(503);
    expect(api.extensions).toEqual({ reason: "model_file_corrupt", stage: "vision-2" });
    expect(api.headers["retry-after"]).toMatch(/^\d+$/);
    expect(api.detail).not.toContain(entry.path);
  });

  it("run failures: 500 internal_error with the pipeline step; unreachable stages: 503", () => {
    const run = stageFailure(
      stage("decoder-1", "decoder"),
      stageError("decoder-1", "run", new Error("OrtRun failed")),
    );
    expect([run.status, run.extensions]).toEqual([500, { step: "language model", stage: "decoder-1" }]);
    const vision = stageFailure(stage("vision-0", "vision"), stageError("vision-0", "run", "x"));
    expect(vision.extensions.step).toBe("vision encoder");
    const gone = stageFailure(stage("encoder-0", "encoder"), new Error("Network connection lost."));
    expect([gone.status, gone.extensions]).toEqual([
      503,
      { reason: "stage_unreachable", stage: "encoder-0" },
    ]);
  });
});

describe("a stage that does not answer", () => {
  it("fails the call after callTimeoutMs with 503 stage_timeout naming the stage", async () => {
    const s = { id: "encoder-0", role: "encoder", inputs: [], outputs: [] } as unknown as Stage;
    const manifest = { stages: [s] } as unknown as SplitManifest;
    const env = { STAGE_ENCODER_0: { run: () => new Promise(() => undefined) } };
    const runner = new RpcStageRunner(manifest, env, { callTimeoutMs: 30 });
    runner.checkBindings();
    const err = await runner.run(s, new Map()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([(err as ApiError).status, (err as ApiError).extensions]).toEqual([
      503,
      { reason: "stage_timeout", stage: "encoder-0" },
    ]);
    expect(runner.calls.snapshot()).toMatchObject({ service_binding: 1, failures: 1 });
  });

  it("a missing binding is named when the engine is created", () => {
    const s = { id: "decoder-0", role: "decoder" } as Stage;
    const runner = new RpcStageRunner({ stages: [s] } as unknown as SplitManifest, {});
    expect(() => runner.checkBindings()).toThrow(
      "stage decoder-0 has no Durable Object namespace binding STAGE_OBJ_DECODER_0",
    );
  });
});

describe("binding names shared with the deploy config", () => {
  it("upper-cases ids, maps - to _, and puts the per-token roles in Durable Objects", () => {
    expect(stageBindingName("vision-3")).toBe("STAGE_VISION_3");
    expect(stageObjectBindingName("lm_head-0")).toBe("STAGE_OBJ_LM_HEAD_0");
    expect(() => stageBindingName("a b")).toThrow();
    expect(
      ["vision", "embed", "encoder", "decoder", "lm_head"].filter((r) =>
        isDecoderSide({ role: r as Stage["role"] }),
      ),
    ).toEqual(["embed", "decoder", "lm_head"]);
  });
});
