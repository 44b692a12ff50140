// Probing one stage of a split folder in two processes. The first runs the stages of its role that come before
// it on onnxruntime-node and writes what this stage receives (for a decoder stage: every step's inputs) to a
// file. The second — the measured one — loads only this stage on onnxruntime-web as the Worker does, reads the
// inputs and runs: sequence stages once; decoder stages a request's worth of steps (first step, fan out to
// `rows` beams, then steps until the cache holds `decoderLength` tokens).
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
import { readTensorFile, writeTensorFile } from "./tensor-file";

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
  /** The inputs file written by the preparing process. */
  inputs?: string;
}

const ENC_HIDDEN = "__encoder_hidden";
const ENC_MASK = "__encoder_mask";

const f32 = (dims: number[], seed = 1): StageTensor => ({
  type: "float32",
  dims,
  data: makeData({ name: `x${seed}`, type: "float32", dims }),
});
const i64 = (name: string, dims: number[]): StageTensor => ({
  type: "int64",
  dims,
  data: makeData({ name, type: "int64", dims }),
});

function readManifest(dir: string): SplitManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as SplitManifest;
}

function stageOf(m: SplitManifest, id: string): Stage {
  const s = m.stages.find((x) => x.id === id);
  if (!s) throw new Error(`no stage ${id}`);
  return s;
}

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

/** First process: the stage's inputs from the stages before it (onnxruntime-node), written to `out`. */
export async function prepareStageInputs(sc: StageScenario, out: string): Promise<void> {
  const m = readManifest(sc.splitDir);
  const stage = stageOf(m, sc.stage);
  const role = stagesOf(m, stage.role);
  const before = role.slice(0, role.indexOf(stage));
  const upstream = new LocalStageRunner(m, nodeSessionHost(sc.splitDir));
  if (stage.program.kind === "sequence") {
    const env = roleInputs(m, stage, sc);
    for (const s of before) for (const [k, v] of await upstream.run(s, env)) env.set(k, v);
    writeTensorFile(out, [new Map(stage.inputs.map((i) => [i.name, env.get(i.name)!]))]);
  } else {
    const d = m.engine.dModel;
    const hidden = f32([1, sc.encoderLength, d], 7);
    const mask = i64("encoder_attention_mask", [1, sc.encoderLength]);
    const records: NamedTensors[] = [
      new Map([
        [ENC_HIDDEN, hidden],
        [ENC_MASK, mask],
      ]),
    ];
    const ups: DecoderStageSession[] = [];
    for (const s of before) ups.push(await upstream.openDecoder(s, hidden, mask));
    let rows = 1;
    for (let step = 0; step < sc.decoderLength; step++) {
      const env: NamedTensors = new Map([["inputs_embeds", f32([rows, 1, d], step)]]);
      for (const u of ups) for (const [k, v] of await u.step(env, rows)) env.set(k, v);
      records.push(new Map(stage.inputs.map((i) => [i.name, env.get(i.name)!])));
      if (step === 0 && sc.rows > 1) {
        for (const u of ups) u.reorder(new Array<number>(sc.rows).fill(0));
        rows = sc.rows;
      }
    }
    writeTensorFile(out, records);
  }
  await upstream.release();
}

/** Second process: the stage alone on onnxruntime-web, fed from the file. */
export async function runStageScenario(
  ort: OrtWeb,
  sc: StageScenario,
  mem: MemoryTracker,
): Promise<{ createMs: number; runMs: number[]; note: string }> {
  const m = readManifest(sc.splitDir);
  const stage = stageOf(m, sc.stage);
  // Sampled after every step, while the step's input and output are both held (its peak in JS).
  const measured = new LocalStageRunner(m, webSessionHost(ort, fileLoader(sc.splitDir)), (step) =>
    mem.settled(`after ${step.graph}`).then(() => undefined),
  );
  let t = performance.now();
  mem.sample("before creation");
  await measured.prepare(stage);
  const createMs = performance.now() - t;
  await mem.settled("sessions created");
  if (!sc.inputs) throw new Error("the stage scenario needs its inputs file");
  const records = readTensorFile(sc.inputs);
  await mem.settled("inputs read");
  const runMs: number[] = [];
  if (stage.program.kind === "sequence") {
    const env = records[0]!;
    t = performance.now();
    const out = await measured.run(stage, env);
    runMs.push(performance.now() - t);
    await mem.settled("outputs held");
    void out;
    return {
      createMs,
      runMs,
      note: `${stage.role} inputs ${[...env].map(([k, v]) => `${k}[${v.dims.join("×")}]`).join(", ")}`,
    };
  }
  const [enc, ...steps] = records;
  const session = await measured.openDecoder(stage, enc!.get(ENC_HIDDEN)!, enc!.get(ENC_MASK)!);
  enc!.clear();
  await mem.settled("session opened");
  let rows = 1;
  for (const [step, inputs] of steps.entries()) {
    t = performance.now();
    await session.step(inputs, rows);
    runMs.push(performance.now() - t);
    steps[step] = new Map();
    if (step === 0 && sc.rows > 1) {
      session.reorder(new Array<number>(sc.rows).fill(0));
      rows = sc.rows;
    }
    if (step === 0 || step === steps.length - 1 || step % 16 === 0)
      await mem.settled(`step ${step} (${rows} rows)`);
  }
  session.dispose();
  return { createMs, runMs, note: `decoder ${sc.rows} rows, ${steps.length} steps, S = ${sc.encoderLength}` };
}
