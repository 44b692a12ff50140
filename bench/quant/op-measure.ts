// The measuring side of op-patterns.ts, run in child processes: timings of every single-op model on one
// backend/thread configuration, and the WASM memory of one model in a fresh onnxruntime-web instance.
import { statSync } from "node:fs";
import { Random } from "../../onnx-graph";
import { baselineModelPath } from "./baseline-model";
import type { ModelFile } from "./op-build";
import { openSession, type Backend, type BenchSession } from "./ort-backends";
import { cosine, summarise, type Timing } from "./stats";
import { installWasmMemoryProbe, wasmMemoryBytes } from "./wasm-memory";

export interface TimingRow {
  config: string;
  id: string;
  pattern: string;
  shape: string;
  macs: number;
  timing?: Timing;
  macsPerS?: number;
  /** Cosine similarity of the output to the fp32 pattern's output on the same input and backend. */
  cosine?: number;
  error?: string;
}

export interface MemoryResult {
  id: string;
  data: "inline" | "external";
  fileBytes: number;
  wasmAfterCreate?: number;
  wasmAfterRun?: number;
  /** (WASM after creation − the runtime's own baseline) / file bytes; filled in by the parent. */
  netRatio?: number;
  error?: string;
}

export function parseConfig(cfg: string): { backend: Backend; threads: number } {
  const m = /^(web|node)(\d+)$/.exec(cfg);
  if (!m) throw new Error(`bad config ${cfg} (expected web1, web2, node1, ...)`);
  return { backend: m[1] as Backend, threads: Number(m[2]) };
}

function input(dims: number[]): Float32Array {
  return new Random(5).fork(dims.join("x")).normalArray(
    dims.reduce((a, b) => a * b, 1),
    1,
  );
}

async function runOnce(s: BenchSession, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const r = await s.run({ x: { type: "float32", data: x, dims } });
  return r.y!.data as Float32Array;
}

/**
 * Times every model of the manifest on one configuration. Models of one shape are opened together and run
 * round-robin (one call of each per round), so that load from other processes on the shared machine falls on
 * all candidates alike; medians and minima are reported.
 */
export async function timeConfig(cfg: string, manifest: ModelFile[], quick: boolean): Promise<TimingRow[]> {
  const { backend, threads } = parseConfig(cfg);
  const rows: TimingRow[] = [];
  const shapes = [...new Set(manifest.map((m) => m.shape))];
  const minRounds = quick ? 3 : 7;
  const maxRounds = quick ? 5 : 25;
  const budgetMs = quick ? 2000 : 12000;
  for (const shape of shapes) {
    const models = manifest.filter((m) => m.shape === shape);
    const x = input(models[0]!.input);
    const dims = models[0]!.input;
    const open: { m: ModelFile; s: BenchSession; row: TimingRow; ms: number[] }[] = [];
    let ref: Float32Array | undefined;
    for (const m of models) {
      const row: TimingRow = { config: cfg, id: m.id, pattern: m.pattern, shape: m.shape, macs: m.macs };
      rows.push(row);
      try {
        const s = await openSession(backend, threads, m.path);
        const y = new Float32Array(await runOnce(s, x, dims)); // warm-up run, also the accuracy sample
        if (m.pattern.includes("fp32")) ref = y;
        if (ref) row.cosine = cosine(y, ref);
        open.push({ m, s, row, ms: [] });
      } catch (e) {
        row.error = String((e as Error).message ?? e).split("\n")[0];
        console.log(`  ${cfg} ${m.id}: ERROR ${row.error}`);
      }
    }
    const start = performance.now();
    for (
      let round = 0;
      round < maxRounds && (round < minRounds || performance.now() - start < budgetMs);
      round++
    ) {
      for (const o of open) {
        const t0 = performance.now();
        await runOnce(o.s, x, dims);
        o.ms.push(performance.now() - t0);
      }
    }
    for (const o of open) {
      o.row.timing = summarise(o.ms);
      o.row.macsPerS = o.m.macs / (o.row.timing.medianMs / 1000);
      console.log(
        `  ${cfg} ${o.m.id}: median ${o.row.timing.medianMs.toFixed(2)} ms (min ${o.row.timing.minMs.toFixed(2)}, ${o.row.timing.runs} runs), ${(o.row.macsPerS / 1e9).toFixed(1)} GMAC/s, cos ${o.row.cosine?.toFixed(6)}`,
      );
      await o.s.release();
    }
  }
  return rows;
}

export async function measureMemory(
  manifest: ModelFile[],
  id: string,
  data: "inline" | "external",
): Promise<MemoryResult> {
  installWasmMemoryProbe();
  let path: string;
  let dataFiles: string[] = [];
  let fileBytes: number;
  let dims: number[];
  if (id === "baseline") {
    path = baselineModelPath();
    fileBytes = statSync(path).size;
    dims = [1, 4];
  } else {
    const m = manifest.find((x) => x.id === id);
    if (!m) throw new Error(`no model ${id}`);
    dims = m.input;
    if (data === "external") {
      path = m.external!.path;
      dataFiles = m.external!.dataFiles;
      fileBytes = m.external!.fileBytes;
    } else {
      path = m.path;
      fileBytes = m.fileBytes;
    }
  }
  const r: MemoryResult = { id, data, fileBytes };
  try {
    const s = await openSession("web", 1, path, dataFiles);
    r.wasmAfterCreate = wasmMemoryBytes();
    await runOnce(s, input(dims), dims);
    r.wasmAfterRun = wasmMemoryBytes();
    await s.release();
    console.log(
      `  memory ${id} (${data}): file ${(fileBytes / 2 ** 20).toFixed(1)} MiB, WASM ${(r.wasmAfterCreate / 2 ** 20).toFixed(1)} → ${(r.wasmAfterRun / 2 ** 20).toFixed(1)} MiB`,
    );
  } catch (e) {
    r.error = String((e as Error).message ?? e).split("\n")[0];
    console.log(`  memory ${id} (${data}): ERROR ${r.error}`);
  }
  return r;
}
