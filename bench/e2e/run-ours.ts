// Our runtime in Node (one process per configuration): runtime-node's loadFlorence2 on onnxruntime-web (WASM,
// N threads) or onnxruntime-node, greedy with a fixed number of new tokens. Per request:
//   miss  = bytes → pixels → vision encoder → encoder → decoder (Florence2.imageFeatures + runOnFeatures, what
//           the Worker does on a feature-cache miss);
//   hit   = runOnFeatures on features computed earlier, for another task (a feature-cache hit);
//   beam3 = the hit with 3 beams (the model card's setting; the peer has no beam search).
// Misses alternate <CAPTION> / <OD> over fresh images, and each miss is followed by a hit of the other task on
// the same features, which is exactly the "cached image, new task" request.
import { installWasmMemoryProbe, wasmMemoryBytes } from "../quant/wasm-memory";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { buildPrompt } from "../../runtime/prompt";
import { Florence2, type ImageFeatures, type TaskResponse, type Timings } from "../../runtime/pipeline";
import { processCpuMs } from "./cpu-time";
import { withoutEarlyEos } from "./fixed-length";
import { imageAt, loadImages } from "./images";
import { medianFields, steadyRate, summarize } from "./stats";
import type { JobResult, Row, Scenario, Task } from "./types";

export interface OursPlan {
  modelDir: string;
  backend: "ort-web" | "ort-node";
  threads: number;
  weights: "fp32" | "int8";
  tokens: number;
  /** Feature-miss requests (alternating tasks); each is followed by one hit of the other task. */
  misses: number;
  /** Further hits per task on the first image's features. */
  extraHits: number;
  /** Beam-3 hits (<CAPTION>); 0 = skip. */
  beamRuns: number;
}

interface Sample {
  ms: number;
  cpuMs: number;
  timings: Timings;
  steps: number;
  stepTimes: number[];
  /** Process CPU time (ms) when each decoder step finished. */
  stepCpu: number[];
  /** CPU time of bytes → image features (pixels included: ~1% of it). */
  visionCpuMs?: number;
}

const TASKS: Task[] = ["<CAPTION>", "<OD>"];
const STAGES = ["pixels", "vision", "encoder", "decoder", "parse"] as const;

export function oursSystem(p: Pick<OursPlan, "backend" | "threads">): string {
  return p.backend === "ort-web"
    ? `ours · onnxruntime-web WASM · ${p.threads} thread${p.threads > 1 ? "s" : ""}`
    : `ours · onnxruntime-node · ${p.threads} threads`;
}

export async function runOurs(p: OursPlan): Promise<JobResult> {
  if (p.backend === "ort-web") installWasmMemoryProbe();
  const images = loadImages();
  const t0 = performance.now();
  const loaded = await loadFlorence2({ modelDir: p.modelDir, backend: p.backend, threads: p.threads });
  const loadMs = performance.now() - t0;
  const f = new Florence2(withoutEarlyEos(loaded.engine, loaded.folder.generation.eosTokenId), loaded.folder);

  const request = async (
    task: Task,
    features: ImageFeatures,
    timings: Timings,
    numBeams = 1,
  ): Promise<Sample & { r: TaskResponse }> => {
    const stepTimes: number[] = [];
    const stepCpu: number[] = [];
    const onStep = () => {
      stepTimes.push(performance.now());
      stepCpu.push(processCpuMs());
    };
    const r = await f.runOnFeatures(features, { task, numBeams, maxNewTokens: p.tokens, onStep }, timings);
    return { r, ms: 0, cpuMs: 0, timings, steps: r.steps, stepTimes, stepCpu };
  };
  const miss = async (i: number, task: Task) => {
    const timings: Timings = {};
    const t = performance.now();
    const c = processCpuMs();
    const features = await f.imageFeatures(imageAt(images, i).bytes, {}, timings);
    const visionCpuMs = processCpuMs() - c;
    const s = await request(task, features, timings);
    s.visionCpuMs = visionCpuMs;
    s.ms = performance.now() - t;
    s.cpuMs = processCpuMs() - c;
    return { s, features };
  };
  const hit = async (task: Task, features: ImageFeatures, numBeams = 1) => {
    const t = performance.now();
    const c = processCpuMs();
    const s = await request(task, features, {}, numBeams);
    s.ms = performance.now() - t;
    s.cpuMs = processCpuMs() - c;
    return s;
  };

  const samples = new Map<string, Sample[]>();
  const add = (task: Task, scenario: Scenario, s: Sample) => {
    const key = `${task}|${scenario}`;
    samples.set(key, [...(samples.get(key) ?? []), s]);
  };

  // The first request after load pays one-off allocations: reported apart, not a sample.
  const first = await miss(0, "<CAPTION>");
  const firstRequestMs = first.s.ms;
  const firstFeatures = first.features;
  for (let i = 0; i < p.misses; i++) {
    const task = TASKS[i % 2]!;
    const m = await miss(i + 1, task);
    add(task, "miss", m.s);
    add(TASKS[(i + 1) % 2]!, "hit", await hit(TASKS[(i + 1) % 2]!, m.features));
  }
  for (let i = 0; i < p.extraHits; i++)
    for (const task of TASKS) add(task, "hit", await hit(task, firstFeatures));
  for (let i = 0; i < p.beamRuns; i++)
    add("<CAPTION>", "beam3-hit", await hit("<CAPTION>", firstFeatures, 3));

  const system = oursSystem(p);
  const job = { kind: "ours" as const, backend: p.backend, threads: p.threads, weights: p.weights };
  const rows: Row[] = [];
  for (const [key, ss] of samples) {
    const [task, scenario] = key.split("|") as [Task, Scenario];
    const wrongLength = ss.filter((s) => s.steps !== p.tokens).length;
    const decoderMs = ss.map((s) => s.timings.decoder ?? NaN);
    rows.push({
      id: `ours/${p.backend}/${p.threads}/${p.weights}/${task}/${scenario}`,
      system,
      job,
      weights: p.weights,
      threads: p.threads,
      task,
      scenario,
      newTokens: p.tokens,
      samples: ss.map((s) => s.ms),
      latency: summarize(ss.map((s) => s.ms)),
      cpu: summarize(ss.map((s) => s.cpuMs)),
      stageCpu: medianFields(
        ss.map((s) => ({
          vision: s.visionCpuMs,
          // Steady decoder step: CPU between the first and the last step, per step.
          decoderStep:
            s.stepCpu.length > 1 ? (s.stepCpu.at(-1)! - s.stepCpu[0]!) / (s.stepCpu.length - 1) : undefined,
        })),
        ["vision", "decoderStep"],
      ),
      stages: medianFields(
        ss.map((s) => s.timings),
        STAGES,
      ),
      tokensPerS: summarize(ss.map((s, i) => (s.steps * 1000) / decoderMs[i]!)).p50,
      steadyTokensPerS: summarize(ss.map((s) => steadyRate(s.stepTimes) ?? NaN).filter(Number.isFinite)).p50,
      ...(wrongLength ? { note: `${wrongLength} request(s) did not run ${p.tokens} decoder steps` } : {}),
    });
  }
  await loaded.engine.release();
  return {
    info: {
      job,
      system,
      loadMs,
      firstRequestMs,
      wasmBytes: p.backend === "ort-web" ? wasmMemoryBytes() : undefined,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      // Encoder sequence length per task (image tokens + prompt tokens): what the MAC counts need.
      extra: {
        encoderTokens: Object.fromEntries(
          TASKS.map((t) => [
            t,
            firstFeatures.tokens +
              f.folder.tokenizer.encodePrompt(buildPrompt(t, undefined, firstFeatures)).length,
          ]),
        ),
      },
    },
    rows,
  };
}
