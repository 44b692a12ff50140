// The numbers of a load run, as a markdown section (console and bench/load/results/latest.md) and JSON.
import { quantile } from "../e2e/stats";
import type { Verdict } from "./check";
import type { Outcome } from "./run";

export interface LoadReport {
  date: string;
  deployment: string;
  workload: {
    requests: number;
    distinct: number;
    images: number;
    seed: number;
    maxNewTokens: number;
    forms: Record<string, number>;
  };
  reference: { wallMs: number; answers: number; selfConsistent: boolean; problems: string[] };
  run: { concurrency: number; retries: number; wallMs: number; sent: number };
  verdict: Verdict;
  latencyMs: { ok: Percentiles; all: Percentiles };
  serverStats: Record<string, unknown>;
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(xs: number[]): Percentiles {
  return {
    n: xs.length,
    p50: quantile(xs, 0.5),
    p90: quantile(xs, 0.9),
    p99: quantile(xs, 0.99),
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

export function latencies(outcomes: readonly Outcome[]): LoadReport["latencyMs"] {
  const answered = outcomes.filter((o) => typeof o.status === "number");
  return {
    ok: percentiles(answered.filter((o) => o.status === 200).map((o) => o.ms)),
    all: percentiles(answered.map((o) => o.ms)),
  };
}

const r0 = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : "–");
const list = (o: Record<string, number>) =>
  Object.keys(o).length === 0
    ? "none"
    : Object.entries(o)
        .map(([k, n]) => `${k}: ${n}`)
        .join(", ");

export function markdown(r: LoadReport): string {
  const v = r.verdict;
  const s = r.run.wallMs / 1000;
  const answered = v.correct + v.wrong.length + Object.values(v.refused).reduce((a, b) => a + b, 0);
  const st = r.serverStats;
  return [
    `### Load run ${r.date}`,
    "",
    `- deployment: ${r.deployment}`,
    `- workload: ${r.workload.requests} requests, ${r.workload.distinct} distinct analyses over ${r.workload.images} images (seed ${r.workload.seed}), max_new_tokens ${r.workload.maxNewTokens}, image sent as ${list(r.workload.forms)}`,
    `- reference: the same requests one at a time on a fresh instance: ${r.reference.answers}/${r.workload.requests} answered 200 in ${(r.reference.wallMs / 1000).toFixed(1)} s; identical requests gave identical answers: ${r.reference.selfConsistent ? "yes" : `NO (${r.reference.problems.length})`}`,
    `- load: ${r.run.concurrency} in flight, ${r.run.retries} retries, ${r.run.sent} sent in ${s.toFixed(1)} s: **${(answered / s).toFixed(1)} answers/s**, ${(v.correct / s).toFixed(1)} correct 200s/s`,
    "",
    "| | n | p50 ms | p90 ms | p99 ms | max ms |",
    "|---|---|---|---|---|---|",
    `| 200 | ${r.latencyMs.ok.n} | ${r0(r.latencyMs.ok.p50)} | ${r0(r.latencyMs.ok.p90)} | ${r0(r.latencyMs.ok.p99)} | ${r0(r.latencyMs.ok.max)} |`,
    `| every answer | ${r.latencyMs.all.n} | ${r0(r.latencyMs.all.p50)} | ${r0(r.latencyMs.all.p90)} | ${r0(r.latencyMs.all.p99)} | ${r0(r.latencyMs.all.max)} |`,
    "",
    `- correct 200s (same image, task and result as the sequential run): **${v.correct}**; wrong: **${v.wrong.length}**${
      v.wrong.length
        ? ` (${v.wrong
            .slice(0, 5)
            .map((x) => `#${x.id} ${x.why}`)
            .join("; ")})`
        : ""
    }`,
    `- documented refusals (with Retry-After): ${list(v.refused)}`,
    `- anything else (errors, timeouts, not sent): ${list(v.failed)}; lost: **${v.lost}**`,
    `- how the 200s were answered ("computed" includes joining an identical computation in flight): ${list(v.paths)}`,
    `- server counters after the run: vision_runs ${String(st.vision_runs)}, model_runs ${String(st.model_runs)}, shared_in_flight ${String(st.shared_in_flight)}, rate_limited ${String(st.rate_limited)}, store_errors ${String(st.store_errors)}`,
    "",
  ].join("\n");
}
