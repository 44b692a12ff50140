// Ours, edge shape: the staged Workers in workerd (issue 7: one Worker per stage, one WASM thread per isolate,
// int8 split), driven over HTTP on loopback through the API Worker. Per task: a new image (feature miss), a
// cached image with a new task (feature hit), the identical request again (result hit); p50/p90 over repeats.
// Each stage's cold start and peak memory come from the splitter's probe (edge-stages.ts): workerd has no
// per-isolate memory reading.
import { imageAt, loadImages } from "./images";
import { readEdgeStages } from "./edge-stages";
import { edgeDeployment, type EdgeDeployment } from "./edge-deployment";
import { medianFields, summarize } from "./stats";
import type { JobInfo, JobResult, Row, Scenario, Task, Weights } from "./types";

export const EDGE_SYSTEM = "ours · staged Workers in workerd · 1 thread per isolate";

export interface EdgePlan {
  splitDir?: string;
  /** Why there is no split folder. */
  splitUnavailable?: string;
  weights: Weights;
  tokens: number;
  /** Feature-miss requests (tasks alternate); each is followed by a hit of the other task on its image. */
  misses: number;
  /** Result hits per task. */
  repeats: number;
}

const TASKS: Task[] = ["<CAPTION>", "<OD>"];
const WARMUP_REPEATS = 5;
const STEP_KEYS = ["pixels", "vision", "encoder", "decoder", "parse", "hash", "cache", "total"];

export function edgeRows(weights: Weights, tokens: number, reason: string): Row[] {
  const rows: Row[] = [];
  for (const task of TASKS) {
    for (const scenario of ["miss", "hit", "repeat"] as Scenario[]) {
      rows.push({ id: `edge/${weights}/${task}/${scenario}`, system: EDGE_SYSTEM, job: { kind: "edge", weights }, weights, threads: 1, task, scenario, newTokens: tokens, unavailable: reason });
    }
  }
  return rows;
}

interface Answer {
  ms: number;
  features?: string;
  result?: string;
  timings: Record<string, number>;
  tokens?: number;
}

async function post(url: string, image: Uint8Array<ArrayBuffer>, task: Task, tokens: number): Promise<Answer> {
  const t = performance.now();
  const res = await fetch(`${url}/v1/analyze?task=${encodeURIComponent(task)}&num_beams=1&max_new_tokens=${tokens}`, {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: image,
  });
  const body = (await res.json()) as { cache?: { features?: string; result?: string }; timings?: Record<string, number>; tokens?: unknown };
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { ms, features: body.cache?.features, result: body.cache?.result, timings: body.timings ?? {}, tokens: Array.isArray(body.tokens) ? body.tokens.length : undefined };
}

function row(weights: Weights, tokens: number, task: Task, scenario: Scenario, answers: Answer[], expect: (a: Answer) => boolean): Row {
  const ms = answers.map((a) => a.ms);
  const wrong = answers.filter((a) => !expect(a)).length;
  const decoder = medianFields(answers.map((a) => a.timings), ["decoder"]).decoder;
  return {
    id: `edge/${weights}/${task}/${scenario}`,
    system: EDGE_SYSTEM,
    job: { kind: "edge", weights },
    weights,
    threads: 1,
    task,
    scenario,
    newTokens: tokens,
    samples: ms,
    latency: summarize(ms),
    stages: medianFields(answers.map((a) => a.timings), STEP_KEYS),
    // Over HTTP nothing can suppress EOS, so the step count is what the model generated, capped at `tokens`.
    ...(decoder && scenario !== "repeat" ? { tokensPerS: (tokens * 1000) / decoder } : {}),
    ...(wrong ? { note: `${wrong} of ${answers.length} answers did not report the expected cache state` } : {}),
  };
}

/** The requests through a running deployment: warm-up, then misses, hits and result hits. */
export async function measureEdge(d: EdgeDeployment, p: EdgePlan): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const images = loadImages();
  // The first request loads every stage (chunks + sessions) in every isolate: reported apart, never a sample.
  const warm = await post(d.url, imageAt(images, p.misses).bytes, "<CAPTION>", p.tokens);
  const got: Record<string, Answer[]> = {};
  const add = (task: Task, s: Scenario, a: Answer) => (got[`${task}/${s}`] ??= []).push(a);
  for (let i = 0; i < p.misses; i++) {
    const first = TASKS[i % 2]!;
    const second = TASKS[(i + 1) % 2]!;
    add(first, "miss", await post(d.url, imageAt(images, i).bytes, first, p.tokens));
    add(second, "hit", await post(d.url, imageAt(images, i).bytes, second, p.tokens));
    // A one-miss run still gets a miss of each task: the next image, the other task first.
    if (p.misses === 1) {
      add(second, "miss", await post(d.url, imageAt(images, i + 1).bytes, second, p.tokens));
      add(first, "hit", await post(d.url, imageAt(images, i + 1).bytes, first, p.tokens));
    }
  }
  // Result hits: the results of image 0 were stored after their responses (deferred): let them land, warm up.
  await new Promise((r) => setTimeout(r, 500));
  for (const task of TASKS) {
    for (let i = 0; i < WARMUP_REPEATS; i++) await post(d.url, imageAt(images, 0).bytes, task, p.tokens);
    for (let i = 0; i < p.repeats; i++) add(task, "repeat", await post(d.url, imageAt(images, 0).bytes, task, p.tokens));
  }
  const rows: Row[] = [];
  for (const task of TASKS) {
    rows.push(
      row(p.weights, p.tokens, task, "miss", got[`${task}/miss`] ?? [], (a) => a.features === "miss"),
      row(p.weights, p.tokens, task, "hit", got[`${task}/hit`] ?? [], (a) => a.features === "hit"),
      row(p.weights, p.tokens, task, "repeat", got[`${task}/repeat`] ?? [], (a) => a.result === "hit"),
    );
  }
  return { rows, extra: { firstRequestMs: warm.ms, firstRequestTimings: warm.timings } };
}

export async function runEdge(p: EdgePlan): Promise<JobResult> {
  const info: JobInfo = { job: { kind: "edge", weights: p.weights }, system: EDGE_SYSTEM };
  if (!p.splitDir) return { info: { ...info, error: p.splitUnavailable }, rows: edgeRows(p.weights, p.tokens, p.splitUnavailable ?? "not available: no split model") };
  const st = readEdgeStages(p.splitDir);
  info.stages = st.stages;
  info.stagesSource = st.source;
  info.extra = { splitDir: p.splitDir };
  const deployment = await edgeDeployment();
  if ("unavailable" in deployment) return { info: { ...info, error: deployment.unavailable }, rows: edgeRows(p.weights, p.tokens, deployment.unavailable) };
  const t0 = performance.now();
  const d = await deployment.start(p.splitDir);
  info.loadMs = performance.now() - t0;
  try {
    const { rows, extra } = await measureEdge(d, p);
    info.firstRequestMs = extra.firstRequestMs as number;
    // Every stage loaded during the first request; its Worker reports what that load cost inside workerd.
    const loads = new Map((await d.stageLoads()).map((l) => [l.stageId, l]));
    for (const s of info.stages) {
      const l = loads.get(s.id);
      if (l) s.workerd = { readMs: l.readMs, hashMs: l.hashMs, sessionMs: l.sessionMs, totalMs: l.totalMs };
    }
    info.extra = { ...info.extra, ...extra, ...d.facts };
    return { info, rows };
  } finally {
    await d.dispose();
  }
}
