// Measures every stage of a split folder with the probe (one fresh process per stage, one after another: the
// machine is shared) and records the results in manifest.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SplitManifest, StageMeasurement } from "../manifest";
import { writeManifest } from "../split/split";
import { probeStage } from "./probe";

export interface ProbeStagesOptions {
  /** Stage ids to measure (default: all). */
  only?: string[];
  /** Prompt tokens for the embed stage (default 64). */
  promptLength?: number;
  log?: (line: string) => void;
}

export async function probeStages(splitDir: string, o: ProbeStagesOptions = {}): Promise<SplitManifest> {
  const m = JSON.parse(readFileSync(join(splitDir, "manifest.json"), "utf8")) as SplitManifest;
  for (const s of m.stages) {
    if (o.only && !o.only.includes(s.id)) continue;
    const scenario = {
      kind: "stage" as const,
      splitDir,
      stage: s.id,
      rows: m.limits.maxRows,
      decoderLength: m.limits.maxDecoderLength,
      encoderLength: m.limits.maxEncoderLength,
      promptLength: o.promptLength ?? 64,
    };
    const r = await probeStage(scenario);
    const measured: StageMeasurement = {
      peakBytes: r.peak.total,
      wasmBytes: r.wasmBytes,
      jsBytes: r.jsPeak,
      runMs: r.runMs.reduce((a, b) => a + b, 0),
      createMs: r.createMs,
      scenario: r.note ?? "",
    };
    s.measured = measured;
    o.log?.(
      `${s.id}: peak ${(measured.peakBytes / 2 ** 20).toFixed(1)} MiB (wasm ${(measured.wasmBytes / 2 ** 20).toFixed(1)}, js ${(measured.jsBytes / 2 ** 20).toFixed(1)}), run ${measured.runMs.toFixed(0)} ms, create ${measured.createMs.toFixed(0)} ms — ${measured.scenario}`,
    );
    writeManifest(splitDir, m);
  }
  return m;
}
