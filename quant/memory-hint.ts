// The memory hint of a model folder (runtime/engine/memory-hint.ts reads it): onnxruntime-web's WASM heap
// peak while creating each graph's session alone and the whole engine's (the four graphs in one instance, in
// the runtime's order), recorded in the folder's florence_edge.json as `memory`. The runtime then starts its
// heap at the engine peak instead of letting Emscripten grow it to max(request, 1.2 × current size).
//
// Each peak is the smallest initial heap, in whole MiB, that creation did not grow, found by probes in fresh
// processes (quant/memory-probe.ts; one onnxruntime-web instance each). The search starts from an estimate:
// a probe at onnxruntime-web's own 16 MiB start (done if it fits) reports how far the allocator wrote (a
// fresh heap is zeros), which on base lands within the MiB of the peak; then that MiB and the one below are
// probed, galloping and bisecting if the estimate was off. So a graph costs one to three probes.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { graphPath } from "../runtime/engine/model-files";
import type { MemoryHint, MemoryPeak } from "../runtime/engine/memory-hint";
import { GRAPH_NAMES, type GraphName } from "../runtime/engine/types";
import { externalDataLocations } from "../runtime/engine/external-data";
import { fits, probeInFreshProcess, type ProbeResult, type ProbeTarget } from "./memory-probe";

const MiB = 2 ** 20;
/** onnxruntime-web's own initial heap: a smaller start is raised to it, so no peak is below it. */
const MIN_MIB = 16;
const MAX_MIB = 4095;

export interface MemoryHintOptions {
  /** WASM threads to measure with (default 1, what a Worker runs). */
  numThreads?: number;
  /** Probes run at the same time (default 1). Each holds a copy of its graphs' bytes and its heap. */
  parallel?: number;
  /** Runs one probe (default: a fresh Node process); tests and benchmarks may substitute. */
  probe?: (target: ProbeTarget, initialBytes: number | undefined) => Promise<ProbeResult>;
}

/** Bytes of a graph's files: the .onnx and every external data file it names. */
export function graphFileBytes(dir: string, graph: GraphName): number {
  const path = join(dir, graphPath(graph));
  const model = readFileSync(path);
  const base = graphPath(graph).replace(/[^/]*$/, "");
  return (
    model.byteLength +
    externalDataLocations(model).reduce((s, l) => s + statSync(join(dir, base + l)).size, 0)
  );
}

/** Smallest whole-MiB initial heap that `target`'s creation does not grow; logs each probe. */
export async function findPeak(
  target: ProbeTarget,
  fileBytes: number,
  probe: (initialBytes: number | undefined) => Promise<ProbeResult>,
  log: (line: string) => void = () => undefined,
): Promise<{ peakBytes: number; grownBytes: number; probes: number }> {
  let probes = 0;
  let hi: number | undefined; // smallest size seen to fit (MiB)
  let lo = MIN_MIB; // largest size seen to grow
  const test = async (mib: number): Promise<void> => {
    const r = await probe(mib * MiB);
    probes++;
    const ok = fits(r);
    log(
      `  ${target}: start ${mib} MiB → ${r.error ? `error: ${r.error}` : `${((r.heapBytes ?? 0) / MiB).toFixed(1)} MiB`} (${ok ? "fits" : "grew"})`,
    );
    if (ok) hi = Math.min(hi ?? mib, mib);
    else lo = Math.max(lo, mib);
  };
  // onnxruntime-web's own start first: if creation fits in it, that is the peak (tiny models); if not, the
  // heap grew, and how far it was written (growth keeps the contents) estimates the peak.
  const first = await probe(MIN_MIB * MiB);
  probes++;
  if (first.error) throw new Error(`${target}: ${first.error}`);
  const grownBytes = first.heapBytes ?? Number.NaN;
  if (fits(first)) return { peakBytes: MIN_MIB * MiB, grownBytes, probes };
  const written = first.touchedBytes ?? 0;
  const guess = Number.isFinite(written)
    ? Math.min(MAX_MIB, Math.max(MIN_MIB + 1, Math.ceil(written / MiB)))
    : MIN_MIB + 1;
  log(
    `  ${target}: ${(fileBytes / MiB).toFixed(1)} MiB of files; from ${MIN_MIB} MiB the heap grew to ${((first.heapBytes ?? 0) / MiB).toFixed(1)} MiB, written up to ${((first.touchedBytes ?? 0) / MiB).toFixed(1)} MiB`,
  );
  await test(guess);
  for (let step = 1; hi === undefined; step *= 2) {
    const next = Math.min(MAX_MIB, lo + step);
    if (next === lo) throw new Error(`${target}: does not fit in ${MAX_MIB} MiB`);
    await test(next);
  }
  // Down from a fitting guess in growing steps until one does not fit (on base the first step already);
  // after the upward gallop the bracket is already tight enough to bisect.
  for (let step = 1; lo === MIN_MIB && hi - lo > 1; step *= 2) {
    const fitting: number = hi;
    await test(Math.max(lo + 1, hi - step));
    if (hi === fitting) break;
  }
  while (hi - lo > 1) await test(Math.floor((lo + hi) / 2));
  return { peakBytes: hi * MiB, grownBytes, probes };
}

/** Measures every graph alone and the whole engine (fresh processes); does not write anything. */
export async function measureMemoryHint(
  dir: string,
  opts: MemoryHintOptions = {},
  log: (line: string) => void = () => undefined,
): Promise<MemoryHint> {
  const numThreads = opts.numThreads ?? 1;
  const probe = opts.probe ?? ((t, b) => probeInFreshProcess(dir, t, { initialBytes: b, numThreads }));
  const bytes = Object.fromEntries(GRAPH_NAMES.map((g) => [g, graphFileBytes(dir, g)])) as Record<
    GraphName,
    number
  >;
  const total = GRAPH_NAMES.reduce((s, g) => s + bytes[g], 0);
  const targets: ProbeTarget[] = ["engine", ...GRAPH_NAMES];
  const peaks = new Map<ProbeTarget, MemoryPeak>();
  const t0 = performance.now();
  let probes = 0;
  const queue = [...targets];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const file = t === "engine" ? total : bytes[t];
      const r = await findPeak(t, file, (b) => probe(t, b), log);
      probes += r.probes;
      peaks.set(t, { file_bytes: file, peak_bytes: r.peakBytes, grown_bytes: r.grownBytes });
      log(
        `${t}: peak ${(r.peakBytes / MiB).toFixed(0)} MiB = files + ${((r.peakBytes - file) / MiB).toFixed(1)} MiB (as grown ${(r.grownBytes / MiB).toFixed(1)} MiB; ${r.probes} probes)`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 1) }, worker));
  log(`memory hint: ${probes} probes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const digest = weightsDigest(dir);
  const version = await ortWebVersion();
  return {
    onnxruntime_web: version,
    num_threads: numThreads,
    files: Object.fromEntries(GRAPH_NAMES.map((g) => [g, graphPath(g)])) as Record<GraphName, string>,
    ...(digest ? { weights_digest: digest } : {}),
    graphs: Object.fromEntries(GRAPH_NAMES.map((g) => [g, peaks.get(g)!])) as Record<GraphName, MemoryPeak>,
    engine: { ...peaks.get("engine")!, order: [...GRAPH_NAMES] },
    method:
      "smallest initial WASM heap (whole MiB) that session creation did not grow, onnxruntime-web/wasm " +
      "(the Node build for more than one thread), one fresh process per probe, runtime session options; " +
      "engine: the four graphs in one instance in the runtime's order",
    measured_at: new Date().toISOString(),
  };
}

/** Measures and writes the `memory` section of `dir`/florence_edge.json (created if the folder has none). */
export async function recordMemoryHint(
  dir: string,
  opts: MemoryHintOptions = {},
  log: (line: string) => void = () => undefined,
): Promise<MemoryHint> {
  const hint = await measureMemoryHint(dir, opts, log);
  const path = join(dir, "florence_edge.json");
  const meta = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
  meta.memory = hint;
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
  return hint;
}

function weightsDigest(dir: string): string | undefined {
  const path = join(dir, "florence_edge.json");
  if (!existsSync(path)) return undefined;
  const q = (JSON.parse(readFileSync(path, "utf8")) as { quantization?: { weights_digest?: unknown } })
    .quantization;
  return typeof q?.weights_digest === "string" ? q.weights_digest : undefined;
}

/** The installed onnxruntime-web's version, as the runtime reads it (`env.versions.web`). */
async function ortWebVersion(): Promise<string> {
  // Importing the bundle only reads its version here; no session is created in this process.
  const ort = await import("onnxruntime-web/wasm");
  const v = ort.env.versions?.web;
  if (!v) throw new Error("onnxruntime-web reports no version");
  return v;
}
