// The run's markdown report: machine and versions, latency rows, per-job facts, ratios, MAC/s efficiency,
// MatMul peaks and goals. The same text is printed and written beside the JSON.
import type { Efficiency, Ratio } from "./compare";
import type { Goal } from "./goals";
import type { MachineInfo } from "./machine";
import type { ModelPrep } from "./prep";
import type { SplitPrep } from "./prep-split";
import { edgeStagesSection } from "./report-edge";
import { fmtMiB, fmtMs, fmtPct, fmtRate, fmtRatio, mdTable } from "./table";
import type { JobInfo, MatMulPeak, Row } from "./types";

export interface ReportInput {
  name: string;
  date: string;
  quick: boolean;
  tokens: number;
  machine: MachineInfo;
  load: { min: number; median: number; max: number };
  models: { fp32: ModelPrep; int8: ModelPrep; split?: SplitPrep };
  rows: Row[];
  jobs: JobInfo[];
  ratios: Ratio[];
  efficiency: Efficiency[];
  peaks: MatMulPeak[];
  goals: Goal[];
  wallSeconds: number;
  prepSeconds?: number;
  skipped: string[];
}

const SCENARIO_ORDER = ["miss", "hit", "repeat", "beam3-hit"];
const SCENARIO_TEXT: Record<string, string> = {
  miss: "new image (feature miss)",
  hit: "cached image, new task (feature hit)",
  repeat: "identical repeat (result hit, HTTP)",
  "beam3-hit": "feature hit, beam 3",
};

function stagesText(r: Row): string {
  if (!r.stages) return "";
  return Object.entries(r.stages)
    .filter(([k]) => k !== "parse" || r.stages![k]! >= 1)
    .map(([k, v]) => `${k} ${fmtMs(v)}`)
    .join(", ");
}

export function latencyTable(rows: readonly Row[]): string {
  const sorted = [...rows].sort(
    (a, b) =>
      a.task.localeCompare(b.task) ||
      SCENARIO_ORDER.indexOf(a.scenario) - SCENARIO_ORDER.indexOf(b.scenario) ||
      (a.latency?.p50 ?? Infinity) - (b.latency?.p50 ?? Infinity),
  );
  return mdTable(
    [
      "task",
      "request",
      "system",
      "weights",
      "p50 ms",
      "p90 ms",
      "n",
      "CPU ms p50",
      "decoder tok/s (steady)",
      "steps (median ms)",
      "note",
    ],
    sorted.map((r) => [
      r.task,
      SCENARIO_TEXT[r.scenario] ?? r.scenario,
      r.system,
      r.weights,
      r.unavailable ? "–" : fmtMs(r.latency?.p50),
      r.unavailable ? "–" : fmtMs(r.latency?.p90),
      r.latency ? String(r.latency.n) : "0",
      fmtMs(r.cpu?.p50),
      r.tokensPerS ? `${r.tokensPerS.toFixed(1)} (${r.steadyTokensPerS?.toFixed(1) ?? "–"})` : "",
      stagesText(r),
      r.unavailable ?? r.note ?? "",
    ]),
    ["l", "l", "l", "l", "r", "r", "r", "r", "r", "l", "l"],
  );
}

export function jobsTable(jobs: readonly JobInfo[]): string {
  return mdTable(
    ["job", "load ms", "first request ms", "WASM memory", "max RSS", "load avg start → end", "error"],
    jobs.map((j) => [
      `${j.system}${"weights" in j.job ? ` · ${j.job.weights}` : ""}`,
      fmtMs(j.loadMs),
      fmtMs(j.firstRequestMs),
      fmtMiB(j.wasmBytes),
      fmtMiB(j.maxRssBytes),
      j.loadAvg ? `${j.loadAvg[0].toFixed(1)} → ${j.loadAvg[1].toFixed(1)}` : "–",
      j.error ?? "",
    ]),
    ["l", "r", "r", "r", "r", "r", "l"],
  );
}

export function renderReport(x: ReportInput): string {
  const m = x.machine;
  const pk = Object.entries(m.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const model = (label: string, p: ModelPrep) =>
    p.dir
      ? `${label}: \`${p.dir.replace(/^.*\/models\//, "models/")}\` (${fmtMiB(p.bytes)}${p.generatorVersion ? `, generator ${p.generatorVersion}${p.stale ? ", older than the current generator sources" : ""}` : ""})`
      : `${label}: ${p.unavailable}`;
  const parts = [
    `# florence-edge benchmark ${x.name}${x.quick ? " (--quick)" : ""}`,
    "",
    `- date ${x.date}, wall time ${x.wallSeconds.toFixed(0)} s${(x.prepSeconds ?? 0) >= 1 ? ` (of which ${x.prepSeconds!.toFixed(0)} s making cached model folders)` : ""}${m.gitCommit ? `, commit ${m.gitCommit}` : ""}`,
    `- CPU: ${m.cpu}, ${m.cores} cores (${m.simd.join(", ")}), ${m.memoryGiB} GiB; Node ${m.node}; ${m.chromium ?? "no Chromium"}`,
    `- packages: ${pk}`,
    `- load average (1 min) during the run: min ${x.load.min.toFixed(1)}, median ${x.load.median.toFixed(1)}, max ${x.load.max.toFixed(1)} on ${m.cores} cores (shared machine: above ${m.cores} other processes competed for the CPU)`,
    `- model: synthetic Florence-2-base (random weights, real shapes); ${model("fp32", x.models.fp32)}; ${model("int8", x.models.int8)}`,
    ...(x.models.split?.dir
      ? [
          `- edge (staged) model: \`${x.models.split.dir.replace(/^.*\/models\//, "models/")}\` (int8, lm_head in one MatMul, split into ≤ 128 MiB stages with files ≤ 25 MiB)`,
        ]
      : []),
    `- every request: one 1024×768 JPEG, greedy, exactly ${x.tokens} new tokens (EOS suppressed until the length limit; see bench/README.md)`,
    ...(x.skipped.length ? [`- not run: ${x.skipped.join("; ")}`] : []),
    "",
    "## Latency per request",
    "",
    latencyTable(x.rows),
    "",
    "## Ratios (p50 / p50; below 1: the first is faster; CPU = CPU time of all threads doing the work)",
    "",
    x.ratios.length
      ? mdTable(
          [
            "question",
            "first p50 ms",
            "second p50 ms",
            "ratio (wall p50)",
            "ratio (fastest)",
            "first CPU ms",
            "second CPU ms",
            "ratio (CPU)",
          ],
          x.ratios.map((r) => [
            r.question,
            fmtMs(r.oursP50),
            fmtMs(r.peerP50),
            fmtRatio(r.ratio),
            fmtRatio(r.bestRatio),
            fmtMs(r.oursCpuP50),
            fmtMs(r.peerCpuP50),
            fmtRatio(r.cpuRatio),
          ]),
          ["l", "r", "r", "r", "r", "r", "r", "r"],
        )
      : "(no pair measured)",
    "",
    "## Achieved multiply-accumulates per second vs onnxruntime-web's MatMul peak (same run, same thread count)",
    "",
    "Wall: median step time against the fastest MatMul run. CPU: MACs per CPU-second (all threads) against the",
    "MatMul's median MACs per CPU-second: a per-thread rate that other processes on a shared machine disturb far less.",
    "",
    mdTable(
      [
        "row",
        "graph",
        "G MACs",
        "median ms",
        "achieved (wall)",
        "of int8 peak",
        "of fp32 peak",
        "CPU ms",
        "per CPU-s",
        "of int8 peak (CPU)",
        "of fp32 peak (CPU)",
      ],
      x.efficiency.map((e) => [
        e.row,
        e.what,
        (e.macs / 1e9).toFixed(2),
        fmtMs(e.ms),
        fmtRate(e.macsPerS),
        fmtPct(e.ofInt8Peak),
        fmtPct(e.ofFp32Peak),
        fmtMs(e.cpuMs),
        fmtRate(e.macsPerCpuS),
        fmtPct(e.ofInt8PeakCpu),
        fmtPct(e.ofFp32PeakCpu),
      ]),
      ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    mdTable(
      [
        "MatMul",
        "threads",
        "shape (m×k·k×n)",
        "fastest ms",
        "median ms",
        "MAC/s (fastest)",
        "CPU ms (median)",
        "MAC per CPU-s",
      ],
      x.peaks.map((p) => [
        p.pattern === "int8" ? "int8 (DynamicQuantizeMatMul)" : p.pattern,
        String(p.threads),
        `${p.shape} (${p.m}×${p.k}·${p.k}×${p.n})`,
        fmtMs(p.minMs),
        fmtMs(p.medianMs),
        fmtRate(p.macsPerS),
        fmtMs(p.cpuMs),
        fmtRate(p.macsPerCpuS),
      ]),
      ["l", "r", "l", "r", "r", "r", "r", "r"],
    ),
    "",
    "## Jobs (one process each)",
    "",
    jobsTable(x.jobs),
    "",
    ...edgeStagesSection(x.jobs),
    "## Goals (issue 8)",
    "",
    mdTable(
      ["goal", "target", "measured", "status"],
      x.goals.map((g) => [g.goal, g.target, g.measured, g.status]),
    ),
    "",
  ];
  return parts.join("\n");
}
