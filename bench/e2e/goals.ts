// Issue 8's goals, each judged from this run's rows (none of them is a unit test): where each stands.
import type { Efficiency, Ratio } from "./compare";
import { fmtMs, fmtPct, fmtRatio } from "./table";
import { summarizeStages } from "./report-edge";
import type { JobInfo, Row } from "./types";

export type GoalStatus = "met" | "not met" | "not measured" | "partly measured" | "mixed";

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  status: GoalStatus;
}

const byQuestion = (rs: readonly Ratio[], prefix: string) => rs.filter((r) => r.question.startsWith(prefix));

/**
 * A ratio goal over several comparisons, judged on wall time and on CPU time (on a shared machine the two can
 * disagree: jobs run at different times under different load). "mixed" says which comparisons fail on which.
 */
function ratioGoal(goal: string, limit: number, rs: readonly Ratio[]): Goal {
  if (rs.length === 0) return { goal, target: `≤ ${limit}×`, measured: "–", status: "not measured" };
  const ok = (x: number | undefined) => x !== undefined && x <= limit;
  const measured = rs
    .map(
      (r) =>
        `${fmtRatio(r.ratio)} wall, ${fmtRatio(r.cpuRatio)} CPU (${r.question.replace(/^.*?, /, "")}: ${fmtMs(r.oursP50)} / ${fmtMs(r.peerP50)} ms)`,
    )
    .join("; ");
  // Rows without CPU time (the staged deployment: its work runs in workerd) are judged on wall time alone.
  const cpuFails = (r: Ratio) => r.cpuRatio !== undefined && !ok(r.cpuRatio);
  const wallOk = rs.every((r) => ok(r.ratio));
  const cpuOk = !rs.some(cpuFails);
  const noneOk = rs.every((r) => !ok(r.ratio) && (r.cpuRatio === undefined || cpuFails(r)));
  const failing = rs
    .filter((r) => !ok(r.ratio) || cpuFails(r))
    .map(
      (r) =>
        `${r.question.replace(/^.*?, /, "")} (${[!ok(r.ratio) ? "wall" : "", cpuFails(r) ? "CPU" : ""].filter(Boolean).join(" and ")})`,
    );
  const status: GoalStatus = wallOk && cpuOk ? "met" : noneOk ? "not met" : "mixed";
  return {
    goal,
    target: `≤ ${limit}×`,
    measured: status === "mixed" ? `${measured}. Not met: ${failing.join("; ")}` : measured,
    status,
  };
}

export interface GoalInputs {
  rows: readonly Row[];
  ratios: readonly Ratio[];
  efficiency: readonly Efficiency[];
  jobs: readonly JobInfo[];
  quick: boolean;
  wallSeconds: number;
  /** Seconds of the wall time spent preparing model folders (0 when all were cached). */
  prepSeconds?: number;
  load?: { min: number; median: number; max: number };
}

export function judgeGoals(x: GoalInputs): Goal[] {
  const goals: Goal[] = [];
  goals.push(
    ratioGoal(
      "feature hit, <CAPTION> 20 tokens vs transformers.js-WASM, same threads",
      0.25,
      byQuestion(x.ratios, "<CAPTION> feature hit vs transformers.js-WASM"),
    ),
  );

  const miss = ratioGoal(
    "feature miss vs transformers.js-WASM, same threads",
    0.8,
    byQuestion(x.ratios, "<CAPTION> new image vs transformers.js-WASM").filter(
      (r) => !r.question.includes("fp32 files"),
    ),
  );
  // Per-stage memory: the edge job's stages (the splitter's probe, edge-stages.ts); the in-process jobs hold the
  // whole model in one WASM memory, given for contrast.
  const wasm = x.jobs
    .filter((j) => j.job.kind === "ours" && j.wasmBytes)
    .map(
      (j) =>
        `${j.system} ${j.job.kind === "ours" ? j.job.weights : ""}: ${(j.wasmBytes! / 2 ** 20).toFixed(0)} MiB WASM (whole model, one process)`,
    );
  const edge = x.jobs.find((j) => j.stages?.length);
  const st = edge ? summarizeStages(edge.stages!) : undefined;
  const memStatus: GoalStatus =
    !st || st.measured === 0
      ? "not measured"
      : st.overLimit.length
        ? "not met"
        : st.measured < st.stages
          ? "partly measured"
          : "met";
  const memText = !st
    ? "Per-stage memory: not measured (no edge job)."
    : `Per-stage memory ${memStatus}: ${st.measured}/${st.stages} stages measured, largest ${st.maxPeak ? `${(st.maxPeak.bytes / 2 ** 20).toFixed(1)} MiB (${st.maxPeak.id})` : "–"}${st.overLimit.length ? `, over 128 MiB: ${st.overLimit.join(", ")}` : ""} (splitter probe).`;
  const both: GoalStatus[] = [miss.status, memStatus];
  goals.push({
    ...miss,
    goal: `${miss.goal}, every stage ≤ 128 MiB`,
    target: "≤ 0.8× and each stage ≤ 128 MiB",
    measured: `Latency ${miss.status}: ${miss.measured}. ${memText} ${wasm.join("; ")}`,
    status: both.every((g) => g === "met")
      ? "met"
      : both.every((g) => g === "not measured")
        ? "not measured"
        : both.includes("not met")
          ? "not met"
          : both.includes("mixed")
            ? "mixed"
            : "partly measured",
  });

  // Result hits over HTTP: server-node and, where measured, the staged deployment in workerd.
  const http = x.rows.filter(
    (r) =>
      (r.id.startsWith("ours/http/") || r.id.startsWith("edge/")) && r.scenario === "repeat" && r.latency,
  );
  goals.push({
    goal: "result hit, end to end over HTTP on loopback",
    target: "p50 ≤ 20 ms",
    measured: http.length
      ? http
          .map(
            (r) =>
              `${r.id.startsWith("edge/") ? "edge (workerd)" : "server-node"} ${r.task} p50 ${fmtMs(r.latency!.p50)} ms (p90 ${fmtMs(r.latency!.p90)})`,
          )
          .join("; ")
      : "–",
    status: http.length === 0 ? "not measured" : http.every((r) => r.latency!.p50 <= 20) ? "met" : "not met",
  });

  // Judged on the per-CPU-second rates where measured: on a loaded machine the wall-time peak and the vision
  // step are disturbed differently (a 1-second MatMul can dodge a burst of load that a 20-second encoder cannot).
  const vis = x.efficiency.filter(
    (e) =>
      e.what === "vision encoder" &&
      e.row.startsWith("ours/ort-web/") &&
      e.row.includes("/int8/") &&
      e.ofInt8Peak !== undefined,
  );
  const fraction = (e: Efficiency) => e.ofInt8PeakCpu ?? e.ofInt8Peak!;
  goals.push({
    goal: "vision encoder at ≥ 50% of the measured int8 MatMul peak (onnxruntime-web)",
    target: "≥ 50%",
    measured: vis.length
      ? vis
          .map(
            (e) =>
              `${e.row.split("/").slice(1, 3).join(" ")}t: ${fmtPct(e.ofInt8PeakCpu)} per CPU-second (wall: ${fmtPct(e.ofInt8Peak)})`,
          )
          .join("; ")
      : "–",
    status: vis.length === 0 ? "not measured" : vis.every((e) => fraction(e) >= 0.5) ? "met" : "not met",
  });

  // Judged without the one-time preparation of model folders (generation, quantization, the split and its
  // probe: cached, made again only when the generator or quant/ changes), which the report gives apart.
  const prep = x.prepSeconds ?? 0;
  const runSeconds = x.wallSeconds - prep;
  const load = x.load
    ? `, load average ${x.load.min.toFixed(1)}–${x.load.max.toFixed(1)} (median ${x.load.median.toFixed(1)}) on 2 cores`
    : "";
  goals.push({
    goal: "--quick finishes in under 10 minutes on this machine",
    target: "< 600 s",
    measured: x.quick
      ? `${runSeconds.toFixed(0)} s (this run${load}${prep >= 1 ? `; plus ${prep.toFixed(0)} s making cached model folders once` : ""})`
      : "this was a full run",
    status: x.quick ? (runSeconds < 600 ? "met" : "not met") : "not measured",
  });
  return goals;
}
