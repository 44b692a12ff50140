// The practical limit: onnxruntime-web's multiply-accumulates per second on one big MatMul, fp32 and int8
// (com.microsoft DynamicQuantizeMatMul with int8 weights, the pattern quant/ emits), at the job's thread count,
// measured in the same run as the model (main.ts runs this job at the start and at the end of a run and keeps
// the best). Models come from the quantization benchmark's builders (bench/quant/op-models.ts) on real
// Florence-2-base shapes; the best shape is the peak. Per run: wall time (the peak uses the fastest run) and CPU
// time of all threads (MACs per CPU-second, a per-thread rate that other processes disturb far less).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeModel } from "../../onnx-graph";
import { MATMUL_SHAPES, matmulModel, type MatMulPattern } from "../quant/op-models";
import { openSession } from "../quant/ort-backends";
import { processCpuMs } from "./cpu-time";
import { median } from "./stats";
import type { JobResult, MatMulPeak } from "./types";

export const PEAK_PATTERNS: { label: string; pattern: MatMulPattern }[] = [
  { label: "fp32", pattern: "fp32" },
  { label: "int8", pattern: "dynamicquantizematmul s8" },
];

export interface MatMulPlan {
  threads: number;
  when: "start" | "end";
  /** Shape names of MATMUL_SHAPES to try. */
  shapes: string[];
  quick: boolean;
}

export async function runMatMulPeak(p: MatMulPlan): Promise<JobResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-matmul-"));
  const results: MatMulPeak[] = [];
  const runs = p.quick ? 8 : 20;
  try {
    for (const shapeName of p.shapes) {
      const s = MATMUL_SHAPES.find((x) => x.name === shapeName);
      if (!s) throw new Error(`unknown MatMul shape ${shapeName}`);
      const x = new Float32Array(s.m * s.k).map((_, i) => Math.sin(i * 0.37));
      const macs = s.m * s.k * s.n;
      for (const { label, pattern } of PEAK_PATTERNS) {
        const path = join(dir, `${label}-${s.m}x${s.k}x${s.n}.onnx`);
        writeModel(path, matmulModel(pattern, s));
        const session = await openSession("web", p.threads, path);
        const feeds = { x: { type: "float32" as const, data: x, dims: [s.m, s.k] } };
        for (let i = 0; i < 2; i++) await session.run(feeds);
        const wall: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          const c = processCpuMs();
          await session.run(feeds);
          cpu.push(processCpuMs() - c);
          wall.push(performance.now() - t);
        }
        await session.release();
        const minMs = Math.min(...wall);
        const cpuMs = median(cpu);
        results.push({
          pattern: label,
          shape: s.name,
          m: s.m,
          k: s.k,
          n: s.n,
          threads: p.threads,
          medianMs: median(wall),
          minMs,
          macsPerS: macs / (minMs / 1000),
          cpuMs,
          macsPerCpuS: macs / (cpuMs / 1000),
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const system = `onnxruntime-web WASM MatMul · ${p.threads} thread${p.threads > 1 ? "s" : ""} (${p.when} of run)`;
  return {
    info: { job: { kind: "matmul-peak", threads: p.threads, when: p.when }, system, matmul: results },
    rows: [],
  };
}

/** Per pattern label ("fp32", "int8"), the best wall rate and the best per-CPU-second rate among measurements. */
export function peaks(ms: readonly MatMulPeak[]): Record<string, { macsPerS: number; macsPerCpuS: number }> {
  const best: Record<string, { macsPerS: number; macsPerCpuS: number }> = {};
  for (const m of ms) {
    const b = (best[m.pattern] ??= { macsPerS: 0, macsPerCpuS: 0 });
    b.macsPerS = Math.max(b.macsPerS, m.macsPerS);
    b.macsPerCpuS = Math.max(b.macsPerCpuS, m.macsPerCpuS);
  }
  return best;
}
