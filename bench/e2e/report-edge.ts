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
  coldStart?: { p50: number; p90: number; max: number; sum: number };
}

export function summarizeStages(stages: readonly EdgeStage[]): StageSummary {
  const measured = stages.filter((s) => s.peakBytes !== undefined);
  const top = measured.reduce<EdgeStage | undefined>((a, s) => (!a || s.peakBytes! > a.peakBytes! ? s : a), undefined);
  const cold = stages.map((s) => s.coldStartMs).filter((x): x is number => x !== undefined);
  return {
    stages: stages.length,
    measured: measured.length,
    ...(top ? { maxPeak: { id: top.id, bytes: top.peakBytes! } } : {}),
    overLimit: measured.filter((s) => s.peakBytes! > ISOLATE_LIMIT_BYTES).map((s) => s.id),
    ...(cold.length ? { coldStart: { p50: quantile(cold, 0.5), p90: quantile(cold, 0.9), max: Math.max(...cold), sum: cold.reduce((a, b) => a + b, 0) } } : {}),
  };
}

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
    `${s.stages} stages, ${s.measured} measured; largest peak ${s.maxPeak ? `${fmtMiB(s.maxPeak.bytes)} (${s.maxPeak.id})` : "–"} against the 128 MiB isolate limit` +
      `${s.overLimit.length ? `; OVER the limit: ${s.overLimit.join(", ")}` : ""}; cold start per stage p50 ${fmtMs(s.coldStart?.p50)} ms, p90 ${fmtMs(s.coldStart?.p90)} ms, ` +
      `max ${fmtMs(s.coldStart?.max)} ms, all stages one after another ${fmtMs(s.coldStart?.sum)} ms.`,
    "",
    mdTable(
      ["stage", "role", "weights MiB", "planned peak MiB", "peak MiB (WASM + JS)", "cold start ms", "run ms", "measured on"],
      j.stages!.map((x) => [
        x.id,
        x.role,
        mib(x.weightBytes),
        mib(x.estimatedPeakBytes),
        x.peakBytes === undefined ? "not measured" : `${mib(x.peakBytes)} (${mib(x.wasmBytes ?? 0)} + ${mib(x.jsBytes ?? 0)})`,
        fmtMs(x.coldStartMs),
        fmtMs(x.runMs),
        (x.scenario ?? "").length > 90 ? `${x.scenario!.slice(0, 89)}…` : (x.scenario ?? ""),
      ]),
      ["l", "l", "r", "r", "r", "r", "r", "l"],
    ),
    "",
  ];
}
