// Ours, result hit: the identical request again, end to end over HTTP on loopback. The server (serve.ts) runs in
// its own process; this process is the client (Node's fetch, keep-alive). The first request computes the answer
// (a feature and result miss, not timed as a sample), then 5 untimed repeats warm the hit path up; every repeat must come back from the result cache
// (`cache.result` "hit"), else the row says so.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { imageAt, loadImages } from "./images";
import { E2E_DIR } from "./paths";
import { medianFields, summarize } from "./stats";
import type { JobResult, Task, Weights } from "./types";

export interface ResultHitPlan {
  modelDir: string;
  weights: Weights;
  threads: number;
  tokens: number;
  repeats: number;
}

const TASKS: Task[] = ["<CAPTION>", "<OD>"];
const WARMUP = 5;

async function startServerProcess(p: ResultHitPlan, cacheDir: string) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(E2E_DIR, "serve.ts"),
      "--model",
      p.modelDir,
      "--threads",
      String(p.threads),
      "--cache",
      cacheDir,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ url: string; loadMs: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before it was ready`)));
    lines.on("line", (l) => {
      if (l.startsWith("{")) resolve(JSON.parse(l) as { url: string; loadMs: number });
    });
  });
  return { child, ...ready };
}

export async function runResultHit(p: ResultHitPlan): Promise<JobResult> {
  const cacheDir = mkdtempSync(join(tmpdir(), "bench-server-cache-"));
  const server = await startServerProcess(p, cacheDir);
  const system = `ours · server-node over HTTP (loopback) · onnxruntime-web WASM · ${p.threads} threads`;
  const job = { kind: "result-hit" as const, threads: p.threads, weights: p.weights };
  try {
    const image = imageAt(loadImages(), 0);
    const post = async (task: Task) => {
      const t = performance.now();
      const res = await fetch(
        `${server.url}/v1/analyze?task=${encodeURIComponent(task)}&num_beams=1&max_new_tokens=${p.tokens}`,
        {
          method: "POST",
          headers: { "content-type": "image/jpeg" },
          body: image.bytes,
        },
      );
      const body = (await res.json()) as { cache?: { result?: string }; timings?: Record<string, number> };
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      return { ms, result: body.cache?.result, server: body.timings ?? {} };
    };
    const firstMs: Record<string, number> = {};
    const rows = [];
    for (const task of TASKS) {
      firstMs[task] = (await post(task)).ms;
      // The result is stored after the response is sent (deferred, like the Worker's waitUntil): let it land.
      await new Promise((r) => setTimeout(r, 500));
      // A few untimed repeats first: the server's first hits pay JIT compilation of the hit path (hashing, cache
      // read, JSON), which a server under traffic has long done.
      for (let i = 0; i < WARMUP; i++) await post(task);
      const rs = [];
      for (let i = 0; i < p.repeats; i++) rs.push(await post(task));
      const notHits = rs.filter((r) => r.result !== "hit").length;
      rows.push({
        id: `ours/http/${p.threads}/${p.weights}/${task}/repeat`,
        system,
        job,
        weights: p.weights,
        threads: p.threads,
        task,
        scenario: "repeat" as const,
        newTokens: p.tokens,
        samples: rs.map((r) => r.ms),
        latency: summarize(rs.map((r) => r.ms)),
        stages: medianFields(
          rs.map((r) => r.server),
          ["hash", "cache", "total"],
        ),
        ...(notHits ? { note: `${notHits} repeat(s) were not result-cache hits` } : {}),
      });
    }
    return { info: { job, system, loadMs: server.loadMs, extra: { firstRequestMs: firstMs } }, rows };
  } finally {
    server.child.kill("SIGTERM");
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
