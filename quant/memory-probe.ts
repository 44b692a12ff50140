// One memory probe: in a fresh onnxruntime-web instance (its own process), create the sessions the runtime
// creates (one graph, or the whole engine in the runtime's order) with the heap started at a given size, and
// report the heap's size afterwards. The heap is read from the WebAssembly.Memory object itself (its
// constructor is wrapped before onnxruntime-web makes it). A probe "fits" when the heap after creation is
// exactly the size it started at: creation never had to grow it.
//
//   node --import tsx quant/memory-probe.ts DIR engine|GRAPH ['{"initialBytes":N,"numThreads":N,"memoryHint":true}']
// prints one JSON ProbeResult line on stdout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createOrtWebEngine, createWebSession } from "../runtime/engine/ort-web";
import { loadGraphBytes } from "../runtime/engine/model-files";
import { GRAPH_NAMES, type GraphName } from "../runtime/engine/types";
import { configureOrtWeb } from "../runtime/ort-env";
import { fileLoader } from "../runtime-node/load-file";

export type ProbeTarget = GraphName | "engine";

export interface ProbeResult {
  target: ProbeTarget;
  /** The heap's requested start (bytes), if any; onnxruntime-web's own 16 MiB otherwise. */
  initialBytes?: number;
  /** The heap's size right after it was created (64 KiB pages). */
  startBytes?: number;
  /** The heap's size after every session of the target was created. */
  heapBytes?: number;
  /**
   * One past the highest non-zero byte of the heap after creation: a fresh WebAssembly.Memory is all zeros,
   * so this is where the allocator has written up to, a close estimate of the peak (it misses allocated but
   * never written bytes at the top). Only a starting guess for the bisection, never its answer.
   */
  touchedBytes?: number;
  error?: string;
}

/** Whether creation stayed within the start it was given. */
export const fits = (r: ProbeResult): boolean =>
  !r.error && r.heapBytes !== undefined && r.heapBytes === r.startBytes;

/** Runs one probe in this process; only meaningful in a process that has not loaded onnxruntime-web/wasm. */
export interface ProbeOptions {
  /** Start the heap here (bytes); default: onnxruntime-web's own 16 MiB, or the folder's hint (below). */
  initialBytes?: number;
  numThreads?: number;
  /** engine only: let the runtime apply the folder's recorded memory hint (its default); default false. */
  memoryHint?: boolean;
}

/** Runs one probe in this process; only meaningful in a process that has not loaded onnxruntime-web. */
export async function probeHere(
  dir: string,
  target: ProbeTarget,
  opts: ProbeOptions = {},
): Promise<ProbeResult> {
  const { initialBytes, numThreads = 1 } = opts;
  const memories: WebAssembly.Memory[] = [];
  const starts = new Map<WebAssembly.Memory, number>();
  const Original = WebAssembly.Memory;
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = new Proxy(Original, {
    construct(t, args: [WebAssembly.MemoryDescriptor]) {
      const m = new t(...args);
      memories.push(m);
      starts.set(m, m.buffer.byteLength);
      return m;
    },
  });
  const heap = () =>
    memories.reduce<WebAssembly.Memory | undefined>(
      (a, m) => (!a || m.buffer.byteLength > a.buffer.byteLength ? m : a),
      undefined,
    );
  const result: ProbeResult = { target, ...(initialBytes ? { initialBytes } : {}) };
  try {
    // The WASM-only bundle: what a Worker loads; threads need the Node build (runtime/ort-env.ts). Both run
    // the same binary.
    const ort = numThreads > 1 ? await import("onnxruntime-web") : await import("onnxruntime-web/wasm");
    const loadFile = fileLoader(dir);
    const settings = { numThreads, ...(initialBytes ? { initialMemoryBytes: initialBytes } : {}) };
    if (target === "engine") {
      const engine = await createOrtWebEngine({
        ort,
        loadFile,
        memoryHint: opts.memoryHint ?? false,
        ...settings,
      });
      record(result, heap(), starts);
      await engine.release?.();
    } else {
      configureOrtWeb(ort, settings);
      const s = await createWebSession(ort, await loadGraphBytes(target, loadFile));
      record(result, heap(), starts);
      await s.release();
    }
  } catch (e) {
    result.error = String((e as Error).message ?? e).split("\n")[0];
  } finally {
    (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Original;
  }
  return result;
}

function record(
  r: ProbeResult,
  m: WebAssembly.Memory | undefined,
  starts: Map<WebAssembly.Memory, number>,
): void {
  if (!m) throw new Error("onnxruntime-web made no WebAssembly.Memory");
  r.startBytes = starts.get(m);
  r.heapBytes = m.buffer.byteLength;
  r.touchedBytes = touched(m);
}

function touched(m: WebAssembly.Memory): number {
  const words = new Uint32Array(m.buffer);
  let i = words.length - 1;
  while (i >= 0 && words[i] === 0) i--;
  if (i < 0) return 0;
  const bytes = new Uint8Array(m.buffer, i * 4, 4);
  let j = 3;
  while (bytes[j] === 0) j--;
  return i * 4 + j + 1;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs one probe in a fresh Node process (`node --import tsx`). */
export function probeInFreshProcess(
  dir: string,
  target: ProbeTarget,
  opts: ProbeOptions = {},
): Promise<ProbeResult> {
  const args = ["--import", "tsx", SELF, dir, target, JSON.stringify(opts)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{"))
        reject(new Error(`memory probe ${target} exited with ${code}: ${out.slice(-300)}`));
      else resolve(JSON.parse(line) as ProbeResult);
    });
  });
}

if (process.argv[1] === SELF) {
  const [dir, target, opts] = process.argv.slice(2);
  if (!dir || !target || !(target === "engine" || (GRAPH_NAMES as readonly string[]).includes(target))) {
    process.stderr.write("usage: quant/memory-probe.ts DIR engine|GRAPH [OPTIONS_JSON]\n");
    process.exit(2);
  }
  const r = await probeHere(dir, target as ProbeTarget, opts ? (JSON.parse(opts) as ProbeOptions) : {});
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
