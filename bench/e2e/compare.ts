// What the rows answer: ours/peer ratios for the questions a user asks, and how close the vision encoder and a
// decoder step come to this machine's onnxruntime-web MatMul peak. Pure functions of the rows (tested).
import { decoderMacs, encoderMacs, visionMacs } from "./macs";
import type { Preset } from "../../synthetic-model/presets";
import type { Row, Task } from "./types";

/** Best measured MatMul rates of one pattern at one thread count (run-matmul-peak.ts `peaks`). */
export interface PeakRates {
  macsPerS: number;
  macsPerCpuS: number;
}

export interface Ratio {
  question: string;
  ours: string;
  peer: string;
  /** ours p50 / peer p50: below 1 means ours is faster. */
  ratio: number;
  oursP50: number;
  peerP50: number;
  /** Fastest request / fastest request: the least disturbed runs, an estimate for an idle machine. */
  bestRatio: number;
  /** The same with CPU time per request (ms), where both rows have it. */
  cpuRatio?: number;
  oursCpuP50?: number;
  peerCpuP50?: number;
}

const TASKS: Task[] = ["<CAPTION>", "<OD>"];

/** Pairs (question, ours row id, peer row id) whose both rows were measured. */
export function ratioPairs(): { question: string; ours: string; peer: string }[] {
  const pairs: { question: string; ours: string; peer: string }[] = [];
  for (const t of TASKS) {
    for (const n of [1, 2]) {
      pairs.push(
        {
          question: `${t} feature hit vs transformers.js-WASM (its full request), ${n}t, ours int8 / peer fp32`,
          ours: `ours/ort-web/${n}/int8/${t}/hit`,
          peer: `tjs-web/${n}/fp32/${t}/miss`,
        },
        {
          question: `${t} feature hit vs transformers.js-WASM, ${n}t, same int8 files`,
          ours: `ours/ort-web/${n}/int8/${t}/hit`,
          peer: `tjs-web/${n}/int8/${t}/miss`,
        },
        {
          question: `${t} new image vs transformers.js-WASM, ${n}t, ours int8 / peer fp32`,
          ours: `ours/ort-web/${n}/int8/${t}/miss`,
          peer: `tjs-web/${n}/fp32/${t}/miss`,
        },
        {
          question: `${t} new image vs transformers.js-WASM, ${n}t, same int8 files`,
          ours: `ours/ort-web/${n}/int8/${t}/miss`,
          peer: `tjs-web/${n}/int8/${t}/miss`,
        },
        {
          question: `${t} new image vs transformers.js-WASM, ${n}t, same fp32 files (runtime only)`,
          ours: `ours/ort-web/${n}/fp32/${t}/miss`,
          peer: `tjs-web/${n}/fp32/${t}/miss`,
        },
        {
          question: `${t} new image, ours int8 / ours fp32 (WASM ${n}t)`,
          ours: `ours/ort-web/${n}/int8/${t}/miss`,
          peer: `ours/ort-web/${n}/fp32/${t}/miss`,
        },
      );
    }
    for (const w of ["fp32", "int8"]) {
      pairs.push({
        question: `${t} new image, self-host in Node: ours vs transformers.js, both onnxruntime-node, ${w}`,
        ours: `ours/ort-node/2/${w}/${t}/miss`,
        peer: `tjs-node/${w}/${t}/miss`,
      });
    }
    // The edge shape runs one WASM thread per isolate and its stages one after another: the peer at 1 thread.
    for (const w of ["fp32", "int8"]) {
      const files = w === "fp32" ? "ours int8 / peer fp32" : "same int8 files";
      pairs.push(
        {
          question: `${t} feature hit vs transformers.js-WASM (its full request), edge (staged Workers, 1t per isolate) / peer 1t, ${files}`,
          ours: `edge/int8/${t}/hit`,
          peer: `tjs-web/1/${w}/${t}/miss`,
        },
        {
          question: `${t} new image vs transformers.js-WASM, edge (staged Workers, 1t per isolate) / peer 1t, ${files}`,
          ours: `edge/int8/${t}/miss`,
          peer: `tjs-web/1/${w}/${t}/miss`,
        },
      );
    }
    pairs.push(
      {
        question: `${t} new image, edge (staged Workers) / ours in one process, WASM 1t (int8)`,
        ours: `edge/int8/${t}/miss`,
        peer: `ours/ort-web/1/int8/${t}/miss`,
      },
      {
        question: `${t} new image, edge (staged Workers) / ours in one process, WASM 2t (int8)`,
        ours: `edge/int8/${t}/miss`,
        peer: `ours/ort-web/2/int8/${t}/miss`,
      },
      {
        question: `${t} result hit over HTTP, edge (staged Workers) / server-node (int8)`,
        ours: `edge/int8/${t}/repeat`,
        peer: `ours/http/2/int8/${t}/repeat`,
      },
    );
    pairs.push(
      {
        question: `${t} new image, ours WASM 2t / ours onnxruntime-node 2t (int8)`,
        ours: `ours/ort-web/2/int8/${t}/miss`,
        peer: `ours/ort-node/2/int8/${t}/miss`,
      },
      {
        question: `${t} new image, ours WASM 2 threads / 1 thread (int8)`,
        ours: `ours/ort-web/2/int8/${t}/miss`,
        peer: `ours/ort-web/1/int8/${t}/miss`,
      },
      {
        question: `${t} result hit over HTTP / feature hit in process (int8, 2t)`,
        ours: `ours/http/2/int8/${t}/repeat`,
        peer: `ours/ort-web/2/int8/${t}/hit`,
      },
    );
  }
  for (const n of [1, 2]) {
    for (const w of ["int8", "fp32"]) {
      pairs.push({
        question: `<CAPTION> feature hit, beam 3 / greedy (WASM ${n}t, ${w})`,
        ours: `ours/ort-web/${n}/${w}/<CAPTION>/beam3-hit`,
        peer: `ours/ort-web/${n}/${w}/<CAPTION>/hit`,
      });
    }
  }
  return pairs;
}

export function ratios(rows: readonly Row[]): Ratio[] {
  const byId = new Map(rows.filter((r) => r.latency).map((r) => [r.id, r]));
  const out: Ratio[] = [];
  for (const p of ratioPairs()) {
    const a = byId.get(p.ours);
    const b = byId.get(p.peer);
    if (!a?.latency || !b?.latency) continue;
    const cpu =
      a.cpu && b.cpu ? { cpuRatio: a.cpu.p50 / b.cpu.p50, oursCpuP50: a.cpu.p50, peerCpuP50: b.cpu.p50 } : {};
    out.push({
      ...p,
      ratio: a.latency.p50 / b.latency.p50,
      oursP50: a.latency.p50,
      peerP50: b.latency.p50,
      bestRatio: a.latency.min / b.latency.min,
      ...cpu,
    });
  }
  return out;
}

export interface Efficiency {
  row: string;
  what: "vision encoder" | "language encoder" | "decoder step";
  macs: number;
  /** Median wall time and the MAC rate it gives. */
  ms: number;
  macsPerS: number;
  /** Median CPU time (all threads) and MACs per CPU-second, where measured. */
  cpuMs?: number;
  macsPerCpuS?: number;
  /** Fractions of the MatMul peaks measured at the same thread count (onnxruntime-web rows only): wall rates, and per-CPU-second rates. */
  ofInt8Peak?: number;
  ofFp32Peak?: number;
  ofInt8PeakCpu?: number;
  ofFp32PeakCpu?: number;
}

/**
 * Achieved MAC/s of ours' graphs: vision from feature-miss rows (the vision step's median), language encoder
 * from its step (embedding + concatenation included), decoder from the steady-state step rate (steps after the
 * first, so cross-attention K/V excluded) at the mean cache length of those steps.
 */
export function efficiency(
  rows: readonly Row[],
  preset: Preset,
  encoderTokens: Record<string, number>,
  peaksByThreads: Record<number, Record<string, PeakRates>>,
): Efficiency[] {
  const out: Efficiency[] = [];
  const vision = visionMacs(preset).total;
  for (const r of rows) {
    if ((r.job.kind !== "ours" && r.job.kind !== "edge") || !r.stages) continue;
    const seq = encoderTokens[r.task] ?? 577;
    // The edge shape runs onnxruntime-web with one thread per isolate: its peak is the 1-thread one.
    const peaks =
      r.job.kind === "edge"
        ? peaksByThreads[1]
        : r.job.backend === "ort-web"
          ? peaksByThreads[r.job.threads]
          : undefined;
    const add = (what: Efficiency["what"], macs: number, ms: number | undefined, cpuMs?: number) => {
      if (ms === undefined || !(ms > 0)) return;
      const macsPerS = macs / (ms / 1000);
      const e: Efficiency = { row: r.id, what, macs, ms, macsPerS };
      if (cpuMs !== undefined && cpuMs > 0) Object.assign(e, { cpuMs, macsPerCpuS: macs / (cpuMs / 1000) });
      if (peaks?.int8) e.ofInt8Peak = macsPerS / peaks.int8.macsPerS;
      if (peaks?.fp32) e.ofFp32Peak = macsPerS / peaks.fp32.macsPerS;
      if (peaks?.int8 && e.macsPerCpuS) e.ofInt8PeakCpu = e.macsPerCpuS / peaks.int8.macsPerCpuS;
      if (peaks?.fp32 && e.macsPerCpuS) e.ofFp32PeakCpu = e.macsPerCpuS / peaks.fp32.macsPerCpuS;
      out.push(e);
    };
    if (r.scenario === "miss" && r.task === "<CAPTION>")
      add("vision encoder", vision, r.stages.vision, r.stageCpu?.vision);
    if (r.scenario === "hit" && r.task === "<CAPTION>") {
      add("language encoder", encoderMacs(preset, seq), r.stages.encoder);
      if (r.steadyTokensPerS) {
        const n = r.newTokens;
        let macs = 0;
        for (let past = 1; past < n; past++) macs += decoderMacs(preset, seq, past).perStep;
        add("decoder step", macs / (n - 1), 1000 / r.steadyTokensPerS, r.stageCpu?.decoderStep);
      }
    }
  }
  return out;
}
