// Ours, edge shape: the staged Workers in workerd (issue 7: one Worker per stage, one WASM thread per isolate,
// int8 split), driven over HTTP on loopback through the API Worker. Per task: a new image (feature miss), a
// cached image with a new task (feature hit), the identical request again (result hit); p50/p90 over repeats.
// Each stage's cold start and peak memory come from the splitter's probe (edge-stages.ts): workerd has no
// per-isolate memory reading.
import { request } from "node:http";
import { descendantsCpuMs } from "./cpu-time";
import { imageAt, loadImages } from "./images";
import { readEdgeStages } from "./edge-stages";
import { edgeDeployment, type EdgeDeployment } from "./edge-deployment";
import { median, medianFields, summarize } from "./stats";
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
      rows.push({
        id: `edge/${weights}/${task}/${scenario}`,
        system: EDGE_SYSTEM,
        job: { kind: "edge", weights },
        weights,
        threads: 1,
        task,
        scenario,
        newTokens: tokens,
        unavailable: reason,
      });
    }
  }
  return rows;
}

interface Answer {
  ms: number;
  features?: string;
  result?: string;
  timings: Record<string, number>;
  /** The API Worker's count of its calls to the stages for this request (x-stage-calls). */
  calls?: StageCalls;
  /** CPU time of workerd (all of Miniflare's processes under this one) during the request. */
  cpuMs: number;
}

export interface StageCalls {
  serviceBinding: number;
  durableObject: number;
  maxCallBytes: number;
}

/** "service_binding=24, durable_object=83, max_call_bytes=9437400" → counts (undefined when absent). */
export function parseStageCalls(header: string | undefined): StageCalls | undefined {
  if (!header) return undefined;
  const f = Object.fromEntries(header.split(",").map((kv) => kv.trim().split("=") as [string, string]));
  const n = (k: string) => Number(f[k] ?? NaN);
  const c = {
    serviceBinding: n("service_binding"),
    durableObject: n("durable_object"),
    maxCallBytes: n("max_call_bytes"),
  };
  return Number.isFinite(c.serviceBinding) && Number.isFinite(c.durableObject) ? c : undefined;
}

/**
 * Decoder steps of a request, from its Durable Object calls: each step calls every decoder-side stage once
 * (embed, decoder-k, lm_head); besides, the prompt's embedding (1), one open per decoder stage and at most one
 * close per decoder stage (closes are not awaited, so some may land after the count). Over HTTP nothing can
 * suppress EOS, so this is how many tokens the request really generated (≤ --tokens).
 */
export function decoderSteps(durableObjectCalls: number, roles: readonly string[]): number | undefined {
  const perStep = roles.filter((r) => r === "embed" || r === "decoder" || r === "lm_head").length;
  const decoders = roles.filter((r) => r === "decoder").length;
  if (perStep === 0 || decoders >= perStep) return undefined;
  const steps = Math.floor((durableObjectCalls - 1 - decoders) / perStep);
  return steps > 0 ? steps : undefined;
}

/**
 * One request over loopback HTTP on a fresh connection: workerd resets a kept-alive connection that Node's fetch
 * reuses (ECONNRESET on the second request, seen with Miniflare 4.20260426), so no keep-alive; a loopback
 * connect costs well under a millisecond.
 */
async function post(
  base: string,
  image: Uint8Array<ArrayBuffer>,
  task: Task,
  tokens: number,
): Promise<Answer> {
  const cpu0 = descendantsCpuMs();
  const a = await postOnce(base, image, task, tokens);
  return { ...a, cpuMs: descendantsCpuMs() - cpu0 };
}

function postOnce(
  base: string,
  image: Uint8Array<ArrayBuffer>,
  task: Task,
  tokens: number,
): Promise<Omit<Answer, "cpuMs">> {
  const url = new URL(
    `${base}/v1/analyze?task=${encodeURIComponent(task)}&num_beams=1&max_new_tokens=${tokens}`,
  );
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "image/jpeg", "content-length": image.byteLength },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const ms = performance.now() - t;
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200)
            return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          const body = JSON.parse(text) as {
            cache?: { features?: string; result?: string };
            timings?: Record<string, number>;
          };
          const calls = parseStageCalls(res.headers["x-stage-calls"] as string | undefined);
          resolve({
            ms,
            features: body.cache?.features,
            result: body.cache?.result,
            timings: body.timings ?? {},
            ...(calls ? { calls } : {}),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(image);
  });
}

function row(
  p: EdgePlan,
  roles: readonly string[],
  task: Task,
  scenario: Scenario,
  answers: Answer[],
  expect: (a: Answer) => boolean,
): Row {
  const ms = answers.map((a) => a.ms);
  const wrong = answers.filter((a) => !expect(a)).length;
  const decoder = medianFields(
    answers.map((a) => a.timings),
    ["decoder"],
  ).decoder;
  const calls = answers.map((a) => a.calls).filter((c): c is StageCalls => c !== undefined);
  const steps = calls
    .map((c) => decoderSteps(c.durableObject, roles))
    .filter((x): x is number => x !== undefined);
  const stepsMedian = steps.length ? median(steps) : undefined;
  const notes = [
    calls.length
      ? `stage calls per request (median): ${median(calls.map((c) => c.serviceBinding))} service-binding, ${median(calls.map((c) => c.durableObject))} Durable Object, largest ${(median(calls.map((c) => c.maxCallBytes)) / 2 ** 20).toFixed(1)} MiB`
      : "",
    stepsMedian !== undefined
      ? `${stepsMedian} decoder steps (from the Durable Object calls${steps.some((x) => x !== p.tokens) ? `; EOS cannot be suppressed over HTTP, so not always ${p.tokens}` : ""})`
      : "",
    wrong ? `${wrong} of ${answers.length} answers did not report the expected cache state` : "",
  ].filter(Boolean);
  return {
    id: `edge/${p.weights}/${task}/${scenario}`,
    system: EDGE_SYSTEM,
    job: { kind: "edge", weights: p.weights },
    weights: p.weights,
    threads: 1,
    task,
    scenario,
    newTokens: p.tokens,
    samples: ms,
    latency: summarize(ms),
    // /proc ticks are 10 ms: meaningful for the model runs, not for result hits.
    ...(scenario !== "repeat" && answers.length ? { cpu: summarize(answers.map((a) => a.cpuMs)) } : {}),
    stages: medianFields(
      answers.map((a) => a.timings),
      STEP_KEYS,
    ),
    // Decoder time includes the prompt's first step with the cross-attention K/V; no steady-state split over HTTP.
    ...(decoder && stepsMedian ? { tokensPerS: (stepsMedian * 1000) / decoder } : {}),
    ...(notes.length ? { note: notes.join("; ") } : {}),
  };
}

/** The requests through a running deployment: warm-up, then misses, hits and result hits. */
export async function measureEdge(
  d: EdgeDeployment,
  p: EdgePlan,
  roles: readonly string[],
): Promise<{ rows: Row[]; extra: Record<string, unknown> }> {
  const images = loadImages();
  if (p.misses + 1 >= images.length)
    throw new Error(`${p.misses} misses need more than ${images.length} images`);
  // The first request loads every stage (chunks + sessions) in every isolate: reported apart, never a sample.
  // Its image (the last) is none of the measured ones.
  const last = imageAt(images, images.length - 1).bytes;
  const got: Record<string, Answer[]> = {};
  const add = (task: Task, s: Scenario, a: Answer) => {
    (got[`${task}/${s}`] ??= []).push(a);
    // Progress on stderr: a staged miss takes half a minute or more on one thread.
    if (s !== "repeat")
      process.stderr.write(`  edge ${task} ${s}: ${Math.round(a.ms)} ms (CPU ${Math.round(a.cpuMs)} ms)\n`);
  };
  let warm: Answer;
  if (p.misses === 1) {
    // --quick: what the goals need (<CAPTION> miss and hit, result hits) and an <OD> hit, in the fewest misses
    // (each costs a minute on a loaded machine): the first request's features serve the <CAPTION> hit.
    warm = await post(d.url, last, "<OD>", p.tokens);
    process.stderr.write(`  edge first request: ${Math.round(warm.ms)} ms\n`);
    add("<CAPTION>", "hit", await post(d.url, last, "<CAPTION>", p.tokens));
    add("<CAPTION>", "miss", await post(d.url, imageAt(images, 0).bytes, "<CAPTION>", p.tokens));
    add("<OD>", "hit", await post(d.url, imageAt(images, 0).bytes, "<OD>", p.tokens));
  } else {
    warm = await post(d.url, last, "<CAPTION>", p.tokens);
    process.stderr.write(`  edge first request: ${Math.round(warm.ms)} ms\n`);
    for (let i = 0; i < p.misses; i++) {
      const first = TASKS[i % 2]!;
      const second = TASKS[(i + 1) % 2]!;
      add(first, "miss", await post(d.url, imageAt(images, i).bytes, first, p.tokens));
      add(second, "hit", await post(d.url, imageAt(images, i).bytes, second, p.tokens));
    }
  }
  // Result hits: the results of image 0 were stored after their responses (deferred): let them land, warm up.
  await new Promise((r) => setTimeout(r, 500));
  for (const task of TASKS) {
    for (let i = 0; i < WARMUP_REPEATS; i++) await post(d.url, imageAt(images, 0).bytes, task, p.tokens);
    for (let i = 0; i < p.repeats; i++)
      add(task, "repeat", await post(d.url, imageAt(images, 0).bytes, task, p.tokens));
  }
  const rows: Row[] = [];
  for (const task of TASKS) {
    const misses = got[`${task}/miss`];
    rows.push(
      misses
        ? row(p, roles, task, "miss", misses, (a) => a.features === "miss")
        : {
            ...edgeRows(p.weights, p.tokens, "not run (--quick: <CAPTION> misses only)").find(
              (r) => r.task === task && r.scenario === "miss",
            )!,
          },
      row(p, roles, task, "hit", got[`${task}/hit`] ?? [], (a) => a.features === "hit"),
      row(p, roles, task, "repeat", got[`${task}/repeat`] ?? [], (a) => a.result === "hit"),
    );
  }
  return {
    rows,
    extra: { firstRequestMs: warm.ms, firstRequestTimings: warm.timings, firstRequestCalls: warm.calls },
  };
}

export async function runEdge(p: EdgePlan): Promise<JobResult> {
  const info: JobInfo = { job: { kind: "edge", weights: p.weights }, system: EDGE_SYSTEM };
  if (!p.splitDir)
    return {
      info: { ...info, error: p.splitUnavailable },
      rows: edgeRows(p.weights, p.tokens, p.splitUnavailable ?? "not available: no split model"),
    };
  const st = readEdgeStages(p.splitDir);
  info.stages = st.stages;
  info.stagesSource = st.source;
  info.extra = { splitDir: p.splitDir };
  const deployment = await edgeDeployment();
  if ("unavailable" in deployment)
    return {
      info: { ...info, error: deployment.unavailable },
      rows: edgeRows(p.weights, p.tokens, deployment.unavailable),
    };
  const t0 = performance.now();
  const d = await deployment.start(p.splitDir);
  info.loadMs = performance.now() - t0;
  try {
    const { rows, extra } = await measureEdge(
      d,
      p,
      st.stages.map((s) => s.role),
    );
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
