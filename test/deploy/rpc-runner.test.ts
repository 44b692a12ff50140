// The RPC runner (worker/staged/) driving the stage service (stage-worker/service.ts) through loopback
// bindings, in Node: on a split whose decoder spans two stages, with beam search (the reordering rides on the
// next step), the staged engine over RPC gives exactly the tokens and features of the same engine over the
// in-process LocalStageRunner; a stage whose chunk fails its sha256 check answers 503 naming the stage, loads
// once the chunk is right, and a stage that throws at run time answers 500 naming the stage.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SplitManifest } from "../../model-splitter/manifest";
import { createStagedWebEngine, readManifest, StagedEngine } from "../../runtime/engine/staged";
import { FLORENCE2_GENERATION_CONFIG } from "../../runtime/generate/config";
import { generate } from "../../runtime/generate/generate";
import type { OrtWeb } from "../../runtime/ort-env";
import { compileOrtWasm, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { fileLoader } from "../../runtime-node/load-file";
import { ApiError } from "../../worker/problem";
import { StageService } from "../../stage-worker/service";
import { StageHost } from "../../stage-worker/stage-host";
import { RpcStageRunner } from "../../worker/staged/rpc-runner";
import { normalizeToChw, testPicture } from "../helpers/test-image";
import { folderBucket, loopbackEnv } from "./loopback";
import { DECODER_TRIGGER_STEP, poisonedSplitObjects } from "./poisoned-split";
import { tinySplitDir } from "./split-fixture";

let dir: string;
let manifest: SplitManifest;
let ort: OrtWeb;
let wasmModule: WebAssembly.Module;
let local: StagedEngine;

beforeAll(async () => {
  dir = tinySplitDir(30);
  manifest = await readManifest(fileLoader(dir));
  ort = await loadOrtWeb("wasm");
  wasmModule = await compileOrtWasm();
  local = await createStagedWebEngine({ loadFile: fileLoader(dir), ort, wasmModule, numThreads: 1 });
});

afterAll(async () => {
  await local?.release();
});

describe("RpcStageRunner over the stage service (loopback bindings)", () => {
  it("the split has the decoder over several stages (several Durable Objects per token)", () => {
    expect(manifest.stages.filter((s) => s.role === "decoder").length).toBeGreaterThan(1);
  });

  it("features and greedy/beam tokens equal the in-process staged engine's; reorders cost no calls", async () => {
    const { env, calls } = loopbackEnv(manifest, dir, ort, wasmModule);
    const runner = new RpcStageRunner(manifest, env, { objectPool: 2 });
    runner.checkBindings();
    const rpc = new StagedEngine(manifest, runner);
    const px = normalizeToChw(testPicture(768, 768), 768);
    const [fa, fb] = [
      await local.encodeImage(px, [1, 3, 768, 768]),
      await rpc.encodeImage(px, [1, 3, 768, 768]),
    ];
    expect(fb).toEqual(fa);
    const d = local.info.dModel;
    const S = 590;
    const hidden = Float32Array.from({ length: S * d }, (_, i) => Math.sin(i * 0.37));
    const mask = new BigInt64Array(S).fill(1n);
    const decoders = manifest.stages.filter((s) => s.role === "decoder").length;
    for (const numBeams of [1, 3]) {
      const config = { ...FLORENCE2_GENERATION_CONFIG, numBeams, maxNewTokens: 12 };
      calls.clear();
      const [a, b] = [await local.startDecoder(hidden, mask, S), await rpc.startDecoder(hidden, mask, S)];
      const [ga, gb] = [await generate(a, config), await generate(b, config)];
      a.dispose();
      b.dispose();
      expect(gb.tokens).toEqual(ga.tokens);
      // Per step: one call per decoder-side stage; plus one open and one close per decoder stage.
      const steps = b.length;
      const perStep = manifest.stages.filter((s) => s.role !== "vision" && s.role !== "encoder").length;
      const total = [...calls.values()].reduce((x, y) => x + y, 0);
      expect(total).toBe(steps * perStep + 2 * decoders);
    }
    const counts = runner.calls.snapshot();
    expect(counts.service_binding).toBe(manifest.stages.filter((s) => s.role === "vision").length);
    expect(counts.max_call_bytes).toBeGreaterThan(0);
  });

  it("concurrent first calls share one load of the stage (single flight)", async () => {
    const host = new StageHost(ort, wasmModule);
    const env = { STAGE_ID: manifest.stages[0]!.id, MODEL: folderBucket(dir), MODEL_PREFIX: "" };
    const infos = await Promise.all([1, 2, 3].map(() => new StageService(host, env).prepare()));
    expect(host.attempts).toBe(1);
    expect(new Set(infos).size).toBe(1);
  });

  it("a chunk failing its sha256 check → 503 naming the stage; the next call after the fix loads", async () => {
    const stage = manifest.stages.find(
      (s) => s.role === "vision" && s.graphs.some((g) => g.externalData.length > 0),
    )!;
    const chunk = stage.graphs.flatMap((g) => g.externalData)[0]!;
    const bad = new Uint8Array(readFileSync(join(dir, chunk.path)));
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    const override = new Map([[chunk.path, bad]]);
    const { env, hosts } = loopbackEnv(manifest, dir, ort, wasmModule, folderBucket(dir, override));
    const rpc = new StagedEngine(manifest, new RpcStageRunner(manifest, env));
    const px = normalizeToChw(testPicture(768, 768), 768);
    const err = await rpc.encodeImage(px, [1, 3, 768, 768]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const api = err as ApiError;
    expect(api.status).toBe(503);
    expect(api.code).toBe("model_unavailable");
    expect(api.extensions).toMatchObject({ stage: stage.id, reason: "model_file_corrupt" });
    expect(api.detail).toContain(`stage ${stage.id}`);
    expect(api.detail).toContain("sha256");
    override.delete(chunk.path);
    expect(await rpc.encodeImage(px, [1, 3, 768, 768])).toEqual(
      await local.encodeImage(px, [1, 3, 768, 768]),
    );
    expect(hosts.get(stage.id)!.attempts).toBe(2);
  });

  it("a stage throwing mid-generation → 500 naming the stage and the pipeline step; shorter runs still work", async () => {
    const poisoned = poisonedSplitObjects(dir);
    const { env } = loopbackEnv(manifest, dir, ort, wasmModule, folderBucket(dir, poisoned.objects));
    const rpc = new StagedEngine(manifest, new RpcStageRunner(manifest, env));
    const d = local.info.dModel;
    const S = 590;
    const hidden = Float32Array.from({ length: S * d }, (_, i) => Math.cos(i * 0.11));
    const mask = new BigInt64Array(S).fill(1n);
    const config = { ...FLORENCE2_GENERATION_CONFIG, numBeams: 1, maxNewTokens: DECODER_TRIGGER_STEP + 4 };
    const session = await rpc.startDecoder(hidden, mask, S);
    const err = await generate(session, config).catch((e: unknown) => e);
    session.dispose();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
    expect((err as ApiError).extensions).toEqual({ step: "language model", stage: poisoned.stageId });
    expect((err as ApiError).detail).toContain(`stage ${poisoned.stageId}`);
    const short = { ...config, maxNewTokens: DECODER_TRIGGER_STEP };
    const [a, b] = [await local.startDecoder(hidden, mask, S), await rpc.startDecoder(hidden, mask, S)];
    const [ga, gb] = [await generate(a, short), await generate(b, short)];
    a.dispose();
    b.dispose();
    expect(gb.tokens).toEqual(ga.tokens);
  });
});
