// The practical limit: onnxruntime-web's multiply-accumulates per second on one big MatMul, fp32 and int8
// (com.microsoft DynamicQuantizeMatMul with int8 weights, the pattern quant/ emits), at the job's thread count,
// measured in the same run as the model. Models come from the quantization benchmark's builders
// (bench/quant/op-models.ts) on real Florence-2-base shapes; the best shape is the peak.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeModel } from "../../onnx-graph";
import { MATMUL_SHAPES, matmulModel, type MatMulPattern } from "../quant/op-models";
import { openSession } from "../quant/ort-backends";
import { timeIt } from "../quant/stats";
import type { JobResult, MatMulPeak } from "./types";

export const PEAK_PATTERNS: { label: string; pattern: MatMulPattern }[] = [
  { label: "fp32", pattern: "fp32" },
  { label: "int8", pattern: "dynamicquantizematmul s8" },
];

export interface MatMulPlan {
  threads: number;
  /** Shape names of MATMUL_SHAPES to try. */
  shapes: string[];
  quick: boolean;
}

export async function runMatMulPeak(p: MatMulPlan): Promise<JobResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-matmul-"));
  const results: MatMulPeak[] = [];
  try {
    for (const shapeName of p.shapes) {
      const s = MATMUL_SHAPES.find((x) => x.name === shapeName);
      if (!s) throw new Error(`unknown MatMul shape ${shapeName}`);
      const x = new Float32Array(s.m * s.k).map((_, i) => Math.sin(i * 0.37));
      for (const { label, pattern } of PEAK_PATTERNS) {
        const path = join(dir, `${label}-${s.m}x${s.k}x${s.n}.onnx`);
        writeModel(path, matmulModel(pattern, s));
        const session = await openSession("web", p.threads, path);
        const feeds = { x: { type: "float32" as const, data: x, dims: [s.m, s.k] } };
        const t = await timeIt(() => session.run(feeds), { warmup: 2, minRuns: p.quick ? 5 : 10, maxRuns: p.quick ? 15 : 40, minMs: p.quick ? 1000 : 3000 });
        await session.release();
        // The median of repeated runs: a fair "what this machine sustains now" on a shared machine.
        results.push({ pattern: label, shape: s.name, m: s.m, k: s.k, n: s.n, threads: p.threads, medianMs: t.medianMs, macsPerS: (s.m * s.k * s.n) / (t.medianMs / 1000) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const system = `onnxruntime-web WASM MatMul · ${p.threads} thread${p.threads > 1 ? "s" : ""}`;
  return { info: { job: { kind: "matmul-peak", threads: p.threads }, system, matmul: results }, rows: [] };
}

/** The best MAC/s per pattern label ("fp32", "int8") among measured shapes. */
export function peaks(ms: readonly MatMulPeak[]): Record<string, MatMulPeak> {
  const best: Record<string, MatMulPeak> = {};
  for (const m of ms) if (!best[m.pattern] || m.macsPerS > best[m.pattern]!.macsPerS) best[m.pattern] = m;
  return best;
}
