// Ours, edge shape: the staged Workers in workerd (one thread per isolate, int8), issue 7. That deployment does
// not exist yet, so this job reports its rows as unavailable. The hook: when issue 7 lands, implement
// `EdgeHarness` (start the stage Workers in workerd, send requests through the entry Worker, read each stage's
// cold start and peak memory) and return it from `edgeHarness()`; main.ts already plans this job and the
// report already has its rows (miss / hit / repeat per task, per-stage cold start and memory).
import type { JobResult, Row, Scenario, Task, Weights } from "./types";

export interface EdgeStageInfo {
  name: string;
  /** Chunk load + session creation (ms). */
  coldStartMs: number;
  /** JS heap + WASM memory (bytes): the 128 MiB per-isolate limit applies to this. */
  peakBytes: number;
}

export interface EdgeHarness {
  start(modelDir: string): Promise<{ stages: EdgeStageInfo[] }>;
  /** One request through the entry Worker; resolves to its latency (ms) and whether caches were hit. */
  request(image: Uint8Array, task: Task, tokens: number): Promise<{ ms: number; features: "hit" | "miss"; result: "hit" | "miss" }>;
  stop(): Promise<void>;
}

export const EDGE_UNAVAILABLE = "not available yet (issue 7): the staged multi-Worker deployment in workerd does not exist";

/** The staged deployment's harness, once issue 7 provides one. */
export function edgeHarness(): EdgeHarness | undefined {
  return undefined;
}

export function edgeRows(weights: Weights, tokens: number, reason = EDGE_UNAVAILABLE): Row[] {
  const system = "ours · staged Workers in workerd · 1 thread per isolate";
  const rows: Row[] = [];
  for (const task of ["<CAPTION>", "<OD>"] as Task[]) {
    for (const scenario of ["miss", "hit", "repeat"] as Scenario[]) {
      rows.push({ id: `edge/${weights}/${task}/${scenario}`, system, job: { kind: "edge", weights }, weights, threads: 1, task, scenario, newTokens: tokens, unavailable: reason });
    }
  }
  return rows;
}

export async function runEdge(weights: Weights, tokens: number): Promise<JobResult> {
  const system = "ours · staged Workers in workerd · 1 thread per isolate";
  const harness = edgeHarness();
  if (!harness) return { info: { job: { kind: "edge", weights }, system, error: EDGE_UNAVAILABLE }, rows: edgeRows(weights, tokens) };
  throw new Error("edge harness present but not wired yet: measure miss/hit/repeat through it here");
}
