// From a run's measurements (rows, job facts) to everything derived from them: MatMul peaks per thread count,
// ratios, MAC/s efficiency, goals and the markdown report. Shared by main.ts (after measuring) and render.ts
// (re-rendering a stored run with the current report code, without measuring again).
import { PRESETS } from "../../synthetic-model/presets";
import { efficiency, ratios, type Efficiency, type PeakRates, type Ratio } from "./compare";
import { judgeGoals, type Goal } from "./goals";
import type { MachineInfo } from "./machine";
import type { Args } from "./args";
import type { ModelPrep } from "./prep";
import type { SplitPrep } from "./prep-split";
import { renderReport } from "./report";
import { peaks as bestPeaks } from "./run-matmul-peak";
import type { JobInfo, MatMulPeak, Row } from "./types";

/** What a run measured (the JSON file holds this plus the derived fields). */
export interface StoredRun {
  name: string;
  date: string;
  args: Args;
  machine: MachineInfo;
  load: { min: number; median: number; max: number; samples?: number };
  seconds: { wall: number; prep: number; jobs: number };
  models: { fp32: ModelPrep; int8: ModelPrep; split?: SplitPrep };
  macs: { preset: "base" | "tiny"; encoderTokens: Record<string, number> };
  jobs: JobInfo[];
  rows: Row[];
  skipped?: string[];
}

export interface DerivedRun extends StoredRun {
  ratios: Ratio[];
  efficiency: Efficiency[];
  goals: Goal[];
}

export function derive(run: StoredRun): { json: DerivedRun; markdown: string } {
  const peakList: MatMulPeak[] = run.jobs.flatMap((j) => j.matmul ?? []);
  const peaksByThreads: Record<number, Record<string, PeakRates>> = {};
  for (const n of new Set(peakList.map((p) => p.threads)))
    peaksByThreads[n] = bestPeaks(peakList.filter((p) => p.threads === n));
  const rs = ratios(run.rows);
  const eff = efficiency(run.rows, PRESETS[run.macs.preset], run.macs.encoderTokens, peaksByThreads);
  const goals = judgeGoals({
    rows: run.rows,
    ratios: rs,
    efficiency: eff,
    jobs: run.jobs,
    quick: run.args.quick,
    wallSeconds: run.seconds.wall,
    prepSeconds: run.seconds.prep,
    load: run.load,
  });
  const markdown = renderReport({
    name: run.name,
    date: run.date,
    quick: run.args.quick,
    tokens: run.args.tokens,
    machine: run.machine,
    load: run.load,
    models: run.models,
    rows: run.rows,
    jobs: run.jobs,
    ratios: rs,
    efficiency: eff,
    peaks: peakList,
    goals,
    wallSeconds: run.seconds.wall,
    prepSeconds: run.seconds.prep,
    skipped: run.skipped ?? [],
  });
  return { json: { ...run, ratios: rs, efficiency: eff, goals }, markdown };
}
