// The memory rows of the acceptance benchmark (issue 4: WASM memory after session creation ≤ 1.3× the int8
// bytes, each graph). Fresh onnxruntime-web/wasm process per measurement, 1 thread, the runtime's session
// options (quant/memory-probe.ts). Two columns per graph:
//  - as grown: onnxruntime-web's own 16 MiB start, Emscripten growing it to max(request, 1.2 × current);
//  - with the recorded hint: the start the runtime uses by default for a folder with `npm run quant:memory`'s
//    record, here each graph's own recorded peak + margin (what a one-graph isolate would be given).
// And the engine (four graphs, one instance, the runtime's order) both ways, the hinted one through
// createOrtWebEngine's own default (no explicit size).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { graphFileBytes, measureMemoryHint } from "../../quant/memory-hint";
import { fits, probeInFreshProcess, type ProbeResult, type ProbeTarget } from "../../quant/memory-probe";
import { applicableMemoryHint, hintedInitialBytes, type MemoryHint } from "../../runtime/engine/memory-hint";
import { GRAPH_NAMES } from "../../runtime/engine/types";

export interface MemoryBenchRow {
  target: ProbeTarget;
  int8Bytes: number;
  /** The recorded peak (smallest whole-MiB start creation did not grow). */
  peak: number;
  grown: ProbeResult;
  hinted: ProbeResult;
  grownRatio: number;
  hintedRatio: number;
}

export interface MemoryBench {
  /** Where the hint came from: the folder's record, or measured here because the folder has none that applies. */
  hintSource: string;
  hint: MemoryHint;
  rows: MemoryBenchRow[];
}

export async function measureMemoryRows(dir: string, log: (s: string) => void): Promise<MemoryBench> {
  const meta = JSON.parse(readFileSync(join(dir, "florence_edge.json"), "utf8")) as unknown;
  const ort = await import("onnxruntime-web/wasm");
  const found = applicableMemoryHint(meta, { onnxruntimeWeb: ort.env.versions?.web, numThreads: 1 });
  let hint: MemoryHint;
  let hintSource: string;
  if ("hint" in found) {
    hint = found.hint;
    hintSource = `recorded in ${dir}/florence_edge.json (${hint.measured_at})`;
  } else {
    // The runtime would grow as before for this folder; measure the hint so both columns can be shown.
    log(
      `memory: no applicable hint (${found.reason}); measuring one (not written; npm run quant:memory records it)`,
    );
    hint = await measureMemoryHint(dir, {}, (l) => log(`  ${l}`));
    hintSource = `measured by the benchmark (the folder has none that applies: ${found.reason})`;
  }
  const rows: MemoryBenchRow[] = [];
  for (const target of ["engine", ...GRAPH_NAMES] as const) {
    log(`memory: ${target} as grown and with the hint ...`);
    const peak = target === "engine" ? hint.engine : hint.graphs[target];
    const int8Bytes =
      target === "engine"
        ? GRAPH_NAMES.reduce((s, g) => s + graphFileBytes(dir, g), 0)
        : graphFileBytes(dir, target);
    const grown = await probeInFreshProcess(dir, target, { memoryHint: false });
    const hinted =
      target === "engine"
        ? await probeInFreshProcess(dir, target, { memoryHint: true })
        : await probeInFreshProcess(dir, target, { initialBytes: hintedInitialBytes(peak) });
    if (!fits(hinted)) log(`memory: ${target} grew past its hint (${JSON.stringify(hinted)})`);
    rows.push({
      target,
      int8Bytes,
      peak: peak.peak_bytes,
      grown,
      hinted,
      grownRatio: (grown.heapBytes ?? NaN) / int8Bytes,
      hintedRatio: (hinted.heapBytes ?? NaN) / int8Bytes,
    });
  }
  return { hintSource, hint, rows };
}

const MiB = (b: number | undefined) => (b === undefined ? "–" : `${(b / 2 ** 20).toFixed(1)} MiB`);

export function formatMemoryRows(m: MemoryBench): string {
  const lines = [
    "\n## onnxruntime-web WASM memory after session creation (onnxruntime-web/wasm, 1 thread, fresh process each)",
    `"as grown": onnxruntime-web's own 16 MiB start, grown by Emscripten to max(request, 1.2 × current). "with the hint": the runtime's default start for this folder, the recorded peak + margin (per graph: the graph's own peak, what a one-graph isolate gets; engine: createOrtWebEngine's default). Hint ${m.hintSource}.`,
    "| graph | int8 bytes | recorded peak | WASM as grown | / int8 bytes | WASM with the hint | / int8 bytes (target ≤ 1.3×) |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of m.rows) {
    const name = r.target === "engine" ? "engine (all four, one instance)" : r.target;
    const cell = (p: ProbeResult) => (p.error ? `error: ${p.error}` : MiB(p.heapBytes));
    lines.push(
      `| ${name} | ${MiB(r.int8Bytes)} | ${MiB(r.peak)} | ${cell(r.grown)} | ${r.grownRatio.toFixed(3)}× | ${cell(r.hinted)} | ${r.hintedRatio.toFixed(3)}× |`,
    );
  }
  return lines.join("\n");
}
