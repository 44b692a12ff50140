// Ratios and achieved MAC/s computed from hand-made rows, against values worked out by hand.
import { describe, expect, it } from "vitest";
import { efficiency, ratios } from "../../bench/e2e/compare";
import { decoderMacs, encoderMacs, visionMacs } from "../../bench/e2e/macs";
import { summarize } from "../../bench/e2e/stats";
import type { PeakRates } from "../../bench/e2e/compare";
import type { Row, Scenario, Task } from "../../bench/e2e/types";
import { PRESETS } from "../../synthetic-model/presets";

function row(id: string, samples: number[], extra: Partial<Row> = {}): Row {
  const [kind, ...rest] = id.split("/");
  const task = rest.at(-2) as Task;
  const scenario = rest.at(-1) as Scenario;
  const job =
    kind === "ours"
      ? {
          kind: "ours" as const,
          backend: rest[0] as "ort-web" | "ort-node",
          threads: Number(rest[1]),
          weights: rest[2] as "int8" | "fp32",
        }
      : { kind: "tjs-web" as const, threads: Number(rest[0]), weights: rest[1] as "int8" | "fp32" };
  return {
    id,
    system: kind!,
    job,
    weights: job.weights,
    threads: job.threads,
    task,
    scenario,
    newTokens: 20,
    samples,
    latency: summarize(samples),
    ...extra,
  };
}

describe("ratios", () => {
  it("pairs ours with the peer's full request and skips pairs missing a side", () => {
    const rows = [
      row("ours/ort-web/2/int8/<CAPTION>/hit", [300, 200, 250]),
      row("tjs-web/2/fp32/<CAPTION>/miss", [2000, 1000]),
      row("ours/ort-web/2/int8/<CAPTION>/miss", [900]),
    ];
    const rs = ratios(rows);
    const hit = rs.find((r) =>
      r.question.startsWith("<CAPTION> feature hit vs transformers.js-WASM (its full request), 2t"),
    );
    expect(hit?.ratio).toBeCloseTo(250 / 1500, 12);
    expect(hit?.bestRatio).toBeCloseTo(200 / 1000, 12);
    const miss = rs.find((r) =>
      r.question.startsWith("<CAPTION> new image vs transformers.js-WASM, 2t, ours int8 / peer fp32"),
    );
    expect(miss?.ratio).toBeCloseTo(900 / 1500, 12);
    // No 1-thread rows, no int8 peer: none of those questions appear.
    expect(rs.some((r) => r.question.includes("1t"))).toBe(false);
    expect(rs.some((r) => r.question.includes("same int8 files"))).toBe(false);
  });
});

describe("efficiency", () => {
  const base = PRESETS.base;
  const peaks: Record<number, Record<string, PeakRates>> = {
    2: { int8: { macsPerS: 80e9, macsPerCpuS: 40e9 }, fp32: { macsPerS: 16e9, macsPerCpuS: 8e9 } },
  };
  it("vision from a miss row, encoder and decoder step from a hit row", () => {
    const rows = [
      row("ours/ort-web/2/int8/<CAPTION>/miss", [5000], {
        stages: { vision: 4000 },
        stageCpu: { vision: 8000 },
      }),
      row("ours/ort-web/2/int8/<CAPTION>/hit", [700], {
        stages: { encoder: 500, decoder: 200 },
        steadyTokensPerS: 100,
      }),
    ];
    const e = efficiency(rows, base, { "<CAPTION>": 584 }, peaks);
    const vision = e.find((x) => x.what === "vision encoder")!;
    expect(vision.macsPerS).toBeCloseTo(visionMacs(base).total / 4, 0);
    expect(vision.ofInt8Peak).toBeCloseTo(visionMacs(base).total / 4 / 80e9, 12);
    // 8 CPU-seconds for the vision step: MACs/8 per CPU-second against 40 G per CPU-second.
    expect(vision.ofInt8PeakCpu).toBeCloseTo(visionMacs(base).total / 8 / 40e9, 12);
    const enc = e.find((x) => x.what === "language encoder")!;
    expect(enc.macsPerS).toBeCloseTo(encoderMacs(base, 584) / 0.5, 0);
    const dec = e.find((x) => x.what === "decoder step")!;
    // 100 steady tokens/s = 10 ms per step; MACs: mean over cache lengths 1..19.
    let macs = 0;
    for (let past = 1; past < 20; past++) macs += decoderMacs(base, 584, past).perStep;
    expect(dec.ms).toBeCloseTo(10, 12);
    expect(dec.macsPerS).toBeCloseTo((macs / 19) * 100, 0);
    expect(dec.ofFp32Peak).toBeCloseTo(dec.macsPerS / 16e9, 12);
  });
});
