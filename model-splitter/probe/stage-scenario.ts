// Probing one stage of a split folder: the stages of its role that run before it are run on onnxruntime-node
// (real inputs, no WASM or JS heap of theirs left behind), then the measured stage runs on onnxruntime-web as
// the Worker runs it. Sequence stages run once; decoder stages run a request's worth of steps (first step, fan
// out to `rows` beams, then steps until the cache holds `decoderLength` tokens).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stagesOf, type SplitManifest, type Stage } from "../manifest";
import { LocalStageRunner } from "../../runtime/engine/staged/local-runner";
import { webSessionHost } from "../../runtime/engine/staged/session-host";
import type { NamedTensors, StageTensor } from "../../runtime/engine/staged/tensors";
import type { DecoderStageSession } from "../../runtime/engine/staged/runner";
import type { OrtWeb } from "../../runtime/ort-env";
import { fileLoader } from "../../runtime-node/load-file";
import { makeData } from "./feeds";
import type { MemoryTracker } from "./memory";
import { nodeSessionHost } from "./node-host";

export interface StageScenario {
  kind: "stage";
  splitDir: string;
  stage: string;
  /** Beams (decoder, lm_head, per-token embed). */
  rows: number;
  /** Cache length the decoder steps reach. */
  decoderLength: number;
  encoderLength: number;
  promptLength: number;
}

const f32 = (dims: number[], seed = 1): StageTensor => ({ type: "float32", dims, data: makeData({ name: `x${seed}`, type: "float32", dims }) });
const i64 = (name: string, dims: number[]): StageTensor => ({ type: "int64", dims, data: makeData({ name, type: "int64", dims }) });

/** The role's first inputs at the scenario's shapes. */
function roleInputs(m: SplitManifest, s: Stage, sc: StageScenario): NamedTensors {
  const d = m.engine.dModel;
  switch (s.role) {
    case "vision":
      return new Map([["pixel_values", f32([1, 3, m.limits.imageSize, m.limits.imageSize])]]);
    case "embed":
      return new Map([["input_ids", i64("input_ids", [1, sc.promptLength])]]);
    case "encoder":
      return new Map([
        ["inputs_embeds", f32([1, sc.encoderLength, d])],
        ["attention_mask", i64("attention_mask", [1, sc.encoderLength])],
      ]);
    case "lm_head":
      return new Map([["decoder_hidden", f32([sc.rows, 1, d])]]);
    case "decoder":
      return new Map([["inputs_embeds", f32([1, 1, d])]]);
  }
}

export async function runStageScenario(ort: OrtWeb, sc: StageScenario, mem: MemoryTracker): Promise<{ createMs: number; runMs: number[]; note: string }> {
  const m = JSON.parse(readFileSync(join(sc.splitDir, "manifest.json"), "utf8")) as SplitManifest;
  const stage = m.stages.find((s) => s.id === sc.stage);
  if (!stage) throw new Error(`no stage ${sc.stage}`);
  const before = stagesOf(m, stage.role).slice(0, stagesOf(m, stage.role).indexOf(stage));
  const upstream = new LocalStageRunner(m, nodeSessionHost(sc.splitDir));
  const measured = new LocalStageRunner(m, webSessionHost(ort, fileLoader(sc.splitDir)));
  let t = performance.now();
  mem.sample("before creation");
  await measured.prepare(stage);
  const createMs = performance.now() - t;
  mem.sample("sessions created");
  const runMs: number[] = [];
  if (stage.program.kind === "sequence") {
    let env = roleInputs(m, stage, sc);
    for (const s of before) for (const [k, v] of await upstream.run(s, env)) env.set(k, v);
    env = new Map(stage.inputs.map((i) => [i.name, env.get(i.name)!]));
    mem.sample("inputs ready");
    t = performance.now();
    const out = await measured.run(stage, env);
    runMs.push(performance.now() - t);
    mem.sample("outputs held");
    void out;
    return { createMs, runMs, note: `${stage.role} inputs ${stage.inputs.map((i) => `${i.name}[${env.get(i.name)?.dims.join("×")}]`).join(", ")}` };
  }
  // Decoder: upstream decoder stages on onnxruntime-node, then this one, step by step.
  const d = m.engine.dModel;
  const hidden = f32([1, sc.encoderLength, d], 7);
  const mask = i64("encoder_attention_mask", [1, sc.encoderLength]);
  const ups: DecoderStageSession[] = [];
  for (const s of before) ups.push(await upstream.openDecoder(s, hidden, mask));
  const session = await measured.openDecoder(stage, hidden, mask);
  mem.sample("session opened");
  let rows = 1;
  for (let step = 0; step < sc.decoderLength; step++) {
    let env: NamedTensors = new Map([["inputs_embeds", f32([rows, 1, d], step)]]);
    for (const u of ups) env = await u.step(env, rows);
    t = performance.now();
    await session.step(env, rows);
    runMs.push(performance.now() - t);
    if (step === 0 && sc.rows > 1) {
      const fan = new Array<number>(sc.rows).fill(0);
      for (const u of ups) u.reorder(fan);
      session.reorder(fan);
      rows = sc.rows;
    }
    if (step === 0 || step === sc.decoderLength - 1 || step % 16 === 0) mem.sample(`step ${step} (${rows} rows)`);
  }
  session.dispose();
  return { createMs, runMs, note: `decoder ${sc.rows} rows, ${sc.decoderLength} steps, S = ${sc.encoderLength}` };
}
