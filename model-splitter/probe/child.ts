// The probe's fresh process: loads onnxruntime-web exactly as the Worker does (the `onnxruntime-web/wasm`
// bundle, one thread, the .wasm precompiled and handed over as a WebAssembly.Module, models as bytes with
// their weights as `externalData`), runs one scenario and prints its memory samples as JSON.
//   node --expose-gc --import tsx model-splitter/probe/child.ts '<scenario json>'
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { externalDataLocations } from "../../runtime/engine/external-data";
import { createWebSession } from "../../runtime/engine/ort-web";
import type { GraphBytes } from "../../runtime/engine/model-files";
import { configureOrtWeb, type OrtWeb } from "../../runtime/ort-env";
import { compileOrtWasm } from "../../runtime-node/engine-ort-web-node";
import { makeData, type ConcreteSpec } from "./feeds";
import { installWasmMemoryHook, MemoryTracker } from "./memory";
import { prepareStageInputs, runStageScenario, type StageScenario } from "./stage-scenario";

export interface GraphScenario {
  kind: "graph";
  model: string;
  feeds: ConcreteSpec[];
  runs: number;
}

/** Not measured: writes a stage's inputs for a later measured run. */
export interface PrepareScenario {
  kind: "prepare";
  stage: StageScenario;
  out: string;
}

export type Scenario = GraphScenario | StageScenario | PrepareScenario;

export interface ProbeResult {
  samples: { label: string; wasm: number; js: number; total: number }[];
  peak: { label: string; wasm: number; js: number; total: number };
  wasmBytes: number;
  jsPeak: number;
  createMs: number;
  runMs: number[];
  note?: string;
}

/** A graph's bytes and its external data files, read from disk. */
export async function readGraphBytes(model: string): Promise<GraphBytes> {
  const bytes = new Uint8Array(await readFile(model));
  const externalData = await Promise.all(
    externalDataLocations(bytes).map(async (location) => ({
      path: location,
      data: new Uint8Array(await readFile(join(dirname(model), location))),
    })),
  );
  return { path: model, model: bytes, externalData };
}

async function runGraphScenario(
  ort: OrtWeb,
  s: GraphScenario,
  mem: MemoryTracker,
): Promise<Omit<ProbeResult, "samples" | "peak" | "wasmBytes" | "jsPeak">> {
  let t = performance.now();
  // The bytes are only referenced inside this call: after it they can be collected, as in the Worker.
  const session = await (async () => {
    const graph: GraphBytes = await readGraphBytes(s.model);
    mem.sample("bytes loaded");
    const created = await createWebSession(ort, graph);
    mem.sample("session created (bytes still held)");
    return created;
  })();
  const createMs = performance.now() - t;
  await mem.settled("bytes dropped");
  const runMs: number[] = [];
  for (let r = 0; r < s.runs; r++) {
    const feeds = Object.fromEntries(
      s.feeds.map((f) => [f.name, new ort.Tensor(f.type, makeData(f), f.dims)]),
    );
    mem.sample(`run ${r}: feeds built`);
    t = performance.now();
    const outputs = await session.run(feeds);
    runMs.push(performance.now() - t);
    void outputs;
    mem.sample(`run ${r}: outputs held`);
  }
  await session.release();
  return { createMs, runMs };
}

async function main(): Promise<void> {
  const scenario = JSON.parse(process.argv[2] ?? "{}") as Scenario;
  if (scenario.kind === "prepare") {
    await prepareStageInputs(scenario.stage, scenario.out);
    process.stdout.write(`PROBE_RESULT {}\n`);
    return;
  }
  installWasmMemoryHook();
  const mem = new MemoryTracker();
  const wasmModule = await compileOrtWasm();
  const ort = (await import("onnxruntime-web/wasm")) as OrtWeb;
  configureOrtWeb(ort, { numThreads: 1, wasmModule });
  mem.sample("start");
  const r =
    scenario.kind === "graph"
      ? await runGraphScenario(ort, scenario, mem)
      : await runStageScenario(ort, scenario, mem);
  // WASM memory only grows, so its last size is its peak; the JS peak may come earlier. Their sum bounds the
  // stage's peak from above (the figure reported).
  const wasmBytes = Math.max(...mem.samples.map((x) => x.wasm));
  const jsPeak = mem.jsPeak();
  const result: ProbeResult = {
    ...r,
    samples: mem.samples,
    peak: { label: "WASM peak + JS peak", wasm: wasmBytes, js: jsPeak, total: wasmBytes + jsPeak },
    wasmBytes,
    jsPeak,
  };
  process.stdout.write(`PROBE_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`probe child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
