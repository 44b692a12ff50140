// The edge job's pieces that need no workerd: stage facts read from a split manifest (hand-written here),
// their summary against the 128 MiB isolate limit, the per-stage memory part of the feature-miss goal, and
// the edge/peer ratios (values worked out by hand).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ratios } from "../../bench/e2e/compare";
import { readEdgeStages } from "../../bench/e2e/edge-stages";
import { judgeGoals } from "../../bench/e2e/goals";
import { summarizeStages } from "../../bench/e2e/report-edge";
import { decoderSteps, edgeRows, parseStageCalls } from "../../bench/e2e/run-edge";
import { summarize } from "../../bench/e2e/stats";
import type { EdgeStage, JobInfo, Row } from "../../bench/e2e/types";

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), "bench-edge-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const graph = (weightBytes: number) => ({
  id: "g",
  model: { path: "x", bytes: 1, sha256: "" },
  externalData: [],
  inputs: [],
  outputs: [],
  weightBytes,
});

describe("readEdgeStages", () => {
  it("takes cold start and peak from the probe's records and keeps unmeasured stages with their estimate", () => {
    const manifest = {
      stages: [
        {
          id: "vision-0",
          role: "vision",
          graphs: [graph(2 * MiB), graph(1 * MiB)],
          estimate: { peakBytes: 100 * MiB },
          measured: {
            peakBytes: 90 * MiB,
            wasmBytes: 60 * MiB,
            jsBytes: 30 * MiB,
            runMs: 1234,
            createMs: 567,
            scenario: "vision inputs",
          },
        },
        { id: "lm_head-0", role: "lm_head", graphs: [graph(38 * MiB)], estimate: { peakBytes: 88 * MiB } },
      ],
    };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const r = readEdgeStages(dir);
    expect(r.stages).toEqual([
      {
        id: "vision-0",
        role: "vision",
        weightBytes: 3 * MiB,
        estimatedPeakBytes: 100 * MiB,
        coldStartMs: 567,
        runMs: 1234,
        peakBytes: 90 * MiB,
        wasmBytes: 60 * MiB,
        jsBytes: 30 * MiB,
        scenario: "vision inputs",
      },
      { id: "lm_head-0", role: "lm_head", weightBytes: 38 * MiB, estimatedPeakBytes: 88 * MiB },
    ]);
    expect(r.unmeasured).toEqual(["lm_head-0"]);
    expect(r.source).toContain("split:probe");
  });
});

const stage = (id: string, peakMiB?: number, coldStartMs?: number): EdgeStage => ({
  id,
  role: "vision",
  weightBytes: 0,
  estimatedPeakBytes: 0,
  ...(peakMiB !== undefined ? { peakBytes: peakMiB * MiB } : {}),
  ...(coldStartMs !== undefined ? { coldStartMs } : {}),
});

describe("summarizeStages", () => {
  it("finds the largest peak, the stages over 128 MiB and the cold-start percentiles", () => {
    const s = summarizeStages([
      stage("a", 100, 100),
      stage("b", 129, 200),
      stage("c", 128, 300),
      stage("d", undefined, 400),
      stage("e", 50, 1000),
    ]);
    expect(s.measured).toBe(4);
    expect(s.maxPeak).toEqual({ id: "b", bytes: 129 * MiB });
    // Exactly 128 MiB fits; 129 does not.
    expect(s.overLimit).toEqual(["b"]);
    // Cold starts 100, 200, 300, 400, 1000: median 300; p90 at position 3.6 → 400 + 0.6·600 = 760.
    expect(s.coldStart).toEqual({ p50: 300, p90: 760, max: 1000, sum: 2000 });
  });
});

function row(id: string, samples: number[], extra: Partial<Row> = {}): Row {
  const parts = id.split("/");
  const job =
    parts[0] === "edge"
      ? { kind: "edge" as const, weights: "int8" as const }
      : { kind: "tjs-web" as const, threads: Number(parts[1]), weights: parts[2] as "fp32" | "int8" };
  return {
    id,
    system: parts[0]!,
    job,
    weights: job.weights,
    threads: 1,
    task: parts.at(-2) as Row["task"],
    scenario: parts.at(-1) as Row["scenario"],
    newTokens: 20,
    samples,
    latency: summarize(samples),
    ...extra,
  };
}

describe("edge rows in ratios and goals", () => {
  const rows = [
    row("edge/int8/<CAPTION>/hit", [1000, 3000]),
    row("edge/int8/<CAPTION>/miss", [9000]),
    row("edge/int8/<CAPTION>/repeat", [10, 30, 20]),
    row("tjs-web/1/fp32/<CAPTION>/miss", [10000]),
  ];
  const rs = ratios(rows);

  it("compares the staged deployment with transformers.js-WASM at 1 thread", () => {
    const hit = rs.find((r) => r.question.includes("feature hit") && r.question.includes("edge"));
    expect(hit?.ratio).toBeCloseTo(2000 / 10000, 12);
    const miss = rs.find((r) => r.question.startsWith("<CAPTION> new image vs transformers.js-WASM, edge"));
    expect(miss?.ratio).toBeCloseTo(0.9, 12);
  });

  const goals = (stages: EdgeStage[]) => {
    const jobs: JobInfo[] = [{ job: { kind: "edge", weights: "int8" }, system: "edge", stages }];
    return judgeGoals({ rows, ratios: rs, efficiency: [], jobs, quick: true, wallSeconds: 100 });
  };

  it("judges the feature-miss goal on latency and on every stage's memory", () => {
    const missGoal = (stages: EdgeStage[]) => goals(stages).find((g) => g.goal.startsWith("feature miss"))!;
    // 0.9× > 0.8×: latency not met, whatever the memory.
    expect(missGoal([stage("a", 100)]).status).toBe("not met");
    expect(missGoal([stage("a", 100)]).measured).toContain("largest 100.0 MiB (a)");
    expect(missGoal([stage("a", 100), stage("b", 200)]).measured).toContain("over 128 MiB: b");
  });

  it("takes the edge result hits into the HTTP goal and the hit ratio into the feature-hit goal", () => {
    const g = goals([]);
    const http = g.find((x) => x.goal.startsWith("result hit"))!;
    expect(http.measured).toContain("edge (workerd) <CAPTION> p50 20.0 ms");
    expect(http.status).toBe("met");
    expect(g.find((x) => x.goal.startsWith("feature hit"))!.status).toBe("met");
  });

  it("edgeRows carries the reason on every unavailable row", () => {
    const r = edgeRows("int8", 20, "not available: because");
    expect(r).toHaveLength(6);
    expect(r.every((x) => x.unavailable === "not available: because" && !x.latency)).toBe(true);
  });
});

describe("stage calls over HTTP", () => {
  it("parses x-stage-calls", () => {
    expect(
      parseStageCalls("service_binding=24, durable_object=83, max_call_bytes=9437400, overlapped"),
    ).toEqual({ serviceBinding: 24, durableObject: 83, maxCallBytes: 9437400 });
    expect(parseStageCalls(undefined)).toBeUndefined();
    expect(parseStageCalls("nothing=1")).toBeUndefined();
  });

  it("counts decoder steps from Durable Object calls: prompt embedding + opens + one call per decoder-side stage per step (+ closes)", () => {
    const base = ["vision", "embed", "encoder", "decoder", "decoder", "lm_head"];
    // 20 steps on base: 1 + 2 opens + 4·20 = 83 calls, plus 0, 1 or 2 closes counted.
    for (const closes of [0, 1, 2]) expect(decoderSteps(83 + closes, base)).toBe(20);
    expect(decoderSteps(1 + 2 + 4 * 7, base)).toBe(7);
    // The tiny split (embed, 1 decoder, lm_head): 1 + 1 + 3·20 + 1 close = 63, as measured in workerd.
    expect(decoderSteps(63, ["vision", "vision", "embed", "encoder", "decoder", "lm_head"])).toBe(20);
    expect(decoderSteps(10, ["vision"])).toBeUndefined();
  });
});
