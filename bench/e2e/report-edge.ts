// The edge job's per-stage section of the report: each stage's cold start (chunk load + session creation) and
// peak memory (WASM + JS) against the 128 MiB isolate limit, with where the numbers come from.
import { quantile } from "./stats";
import { fmtMiB, fmtMs, mdTable } from "./table";
import type { EdgeStage, JobInfo } from "./types";

export const ISOLATE_LIMIT_BYTES = 128 * 2 ** 20;

export interface StageSummary {
  stages: number;
  measured: number;
  maxPeak?: { id: string; bytes: number };
  overLimit: string[];
  /** Cold start per stage from the probe, and inside workerd where the stage Workers reported it. */
  coldStart?: Spread;
  workerdColdStart?: Spread;
}

interface Spread {
  p50: number;
  p90: number;
  max: number;
  sum: number;
}

function spread(xs: readonly (number | undefined)[]): Spread | undefined {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length
    ? { p50: quantile(v, 0.5), p90: quantile(v, 0.9), max: Math.max(...v), sum: v.reduce((a, b) => a + b, 0) }
    : undefined;
}

export function summarizeStages(stages: readonly EdgeStage[]): StageSummary {
  const measured = stages.filter((s) => s.peakBytes !== undefined);
  const top = measured.reduce<EdgeStage | undefined>(
    (a, s) => (!a || s.peakBytes! > a.peakBytes! ? s : a),
    undefined,
  );
  const cold = spread(stages.map((s) => s.coldStartMs));
  const workerd = spread(stages.map((s) => s.workerd?.totalMs));
  return {
    stages: stages.length,
    measured: measured.length,
    ...(top ? { maxPeak: { id: top.id, bytes: top.peakBytes! } } : {}),
    overLimit: measured.filter((s) => s.peakBytes! > ISOLATE_LIMIT_BYTES).map((s) => s.id),
    ...(cold ? { coldStart: cold } : {}),
    ...(workerd ? { workerdColdStart: workerd } : {}),
  };
}

const spreadText = (x: Spread | undefined) =>
  x
    ? `p50 ${fmtMs(x.p50)} ms, p90 ${fmtMs(x.p90)} ms, max ${fmtMs(x.max)} ms, all stages one after another ${fmtMs(x.sum)} ms`
    : "not measured";

export function edgeStagesSection(jobs: readonly JobInfo[]): string[] {
  const j = jobs.find((x) => x.stages?.length);
  if (!j) return [];
  const s = summarizeStages(j.stages!);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  return [
    "## Edge stages (one Worker isolate each, one WASM thread)",
    "",
    `Source: ${j.stagesSource ?? "–"}.`,
    "",
    `${s.stages} stages, ${s.measured} measured by the probe; largest peak ${s.maxPeak ? `${fmtMiB(s.maxPeak.bytes)} (${s.maxPeak.id})` : "–"} against the 128 MiB isolate limit` +
      `${s.overLimit.length ? `; OVER the limit: ${s.overLimit.join(", ")}` : ""}.`,
    "",
    `Cold start per stage (chunk load + session creation): probe ${spreadText(s.coldStart)}; inside workerd (the stage Workers' own figures: read from the local R2 bucket + sha256 + session) ${spreadText(s.workerdColdStart)}.`,
    "",
    mdTable(
      [
        "stage",
        "role",
        "weights MiB",
        "planned peak MiB",
        "probe peak MiB (WASM + JS)",
        "probe cold start ms",
        "probe run ms",
        "workerd cold start ms (read + sha256 + session)",
        "measured on",
      ],
      j.stages!.map((x) => [
        x.id,
        x.role,
        mib(x.weightBytes),
        mib(x.estimatedPeakBytes),
        x.peakBytes === undefined
          ? "not measured"
          : `${mib(x.peakBytes)} (${mib(x.wasmBytes ?? 0)} + ${mib(x.jsBytes ?? 0)})`,
        fmtMs(x.coldStartMs),
        fmtMs(x.runMs),
        x.workerd?.totalMs !== undefined
          ? `${fmtMs(x.workerd.totalMs)} (${fmtMs(x.workerd.readMs)} + ${fmtMs(x.workerd.hashMs)} + ${fmtMs(x.workerd.sessionMs)})`
          : "–",
        (x.scenario ?? "").length > 90 ? `${x.scenario!.slice(0, 89)}…` : (x.scenario ?? ""),
      ]),
      ["l", "l", "r", "r", "r", "r", "r", "r", "l"],
    ),
    "",
  ];
}
