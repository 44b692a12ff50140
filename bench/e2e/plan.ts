// Which jobs a run measures and how often. Full: every configuration of issue 8; --quick: the ones the goals
// need (ours int8 on onnxruntime-web 2 threads, transformers.js-WASM fp32 at 2 threads and at 1 thread for the
// edge shape, HTTP result hits, the staged deployment, the MatMul peak at 2 threads), with fewer repeats: it must
// finish in under 10 minutes on a 2-core machine.
import type { Job, Task, Weights } from "./types";

export interface Repeats {
  /** ours: feature-miss requests (tasks alternate), each followed by one feature hit of the other task. */
  misses: number;
  /** ours: further feature hits per task. */
  extraHits: number;
  /** ours: beam-3 feature hits (<CAPTION>). */
  beamRuns: number;
  /** peers: requests per task. */
  peerRuns: number;
  /** result hits over HTTP per task. */
  httpRepeats: number;
  /** peers: the tasks they run (their requests are all feature misses, the costliest rows). */
  peerTasks: Task[];
}

export interface ChildSpec {
  label: string;
  job: Job;
  /** The model folder for the job's weights (absent for jobs without a model). */
  modelDir?: string;
  tokens: number;
  repeats: Repeats;
  matmulShapes: string[];
  quick: boolean;
  /** Wall-clock limit for the child (ms). */
  timeoutMs: number;
}

export const FULL_REPEATS: Repeats = {
  misses: 6,
  extraHits: 4,
  beamRuns: 3,
  peerRuns: 3,
  httpRepeats: 50,
  peerTasks: ["<CAPTION>", "<OD>"],
};
/** One feature miss (<CAPTION>) then one <OD> hit on its features, one more hit each, one beam-3 hit; peers <CAPTION> once. */
export const QUICK_REPEATS: Repeats = {
  misses: 1,
  extraHits: 1,
  beamRuns: 1,
  peerRuns: 1,
  httpRepeats: 20,
  peerTasks: ["<CAPTION>"],
};

export function jobLabel(job: Job): string {
  switch (job.kind) {
    case "ours":
      return `ours ${job.backend} ${job.threads}t ${job.weights}`;
    case "tjs-node":
      return `transformers.js node ${job.weights}`;
    case "tjs-web":
      return `transformers.js web ${job.threads}t ${job.weights}`;
    case "result-hit":
      return `ours http result-hit ${job.threads}t ${job.weights}`;
    case "matmul-peak":
      return `matmul peak ${job.threads}t (${job.when})`;
    case "edge":
      return `ours edge ${job.weights}`;
  }
}

export function plannedJobs(quick: boolean): Job[] {
  const w: Weights[] = ["int8", "fp32"];
  if (quick) {
    return [
      { kind: "matmul-peak", threads: 2, when: "start" },
      { kind: "ours", backend: "ort-web", threads: 2, weights: "int8" },
      { kind: "tjs-web", threads: 2, weights: "fp32" },
      // The edge shape's peer: one thread per isolate, so transformers.js-WASM at 1 thread.
      { kind: "tjs-web", threads: 1, weights: "fp32" },
      { kind: "result-hit", threads: 2, weights: "int8" },
      { kind: "edge", weights: "int8" },
      { kind: "matmul-peak", threads: 2, when: "end" },
    ];
  }
  return [
    { kind: "matmul-peak", threads: 1, when: "start" },
    { kind: "matmul-peak", threads: 2, when: "start" },
    ...[1, 2].flatMap((threads) =>
      w.map((weights): Job => ({ kind: "ours", backend: "ort-web", threads, weights })),
    ),
    ...w.map((weights): Job => ({ kind: "ours", backend: "ort-node", threads: 2, weights })),
    ...[1, 2].flatMap((threads) => w.map((weights): Job => ({ kind: "tjs-web", threads, weights }))),
    ...w.map((weights): Job => ({ kind: "tjs-node", weights })),
    { kind: "result-hit", threads: 2, weights: "int8" },
    { kind: "edge", weights: "int8" },
    { kind: "matmul-peak", threads: 1, when: "end" },
    { kind: "matmul-peak", threads: 2, when: "end" },
  ];
}

export function jobWeights(job: Job): Weights | undefined {
  return "weights" in job ? job.weights : undefined;
}

/** Keeps jobs whose label contains one of `filters` (all when none given). */
export function filterJobs(jobs: Job[], filters: string[] | undefined): Job[] {
  if (!filters?.length) return jobs;
  return jobs.filter((j) => filters.some((f) => jobLabel(j).includes(f)));
}
