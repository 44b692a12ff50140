// Measures onnxruntime-web (WASM SIMD) in Node with 1 and 2 threads, and onnxruntime-node for comparison, on a
// MatMul-heavy toy model. Not a test (timings are machine-dependent): run it by hand,
//   npx tsx test/engine/measure-threads.ts [rows width layers]
// Each configuration runs in its own process, because an onnxruntime-web instance fixes its thread count when
// it initialises.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWebSession, loadOnnxBytes } from "../../runtime/engine";
import { configureOrtWeb } from "../../runtime/ort-env";
import { fileLoader } from "../../runtime-node/load-file";
import { compileOrtWasm, loadOrtWeb } from "../../runtime-node/engine-ort-web-node";
import { matmulChainMacs, writeMatMulChain, type MatMulChain } from "./toy-matmul";

interface Measurement {
  config: string;
  createMs: number;
  firstRunMs: number;
  medianMs: number;
  minMs: number;
  /** From the fastest run: the best estimate when other processes share the cores. */
  gmacs: number;
  /** Process CPU time / wall time over the timed runs: ≈ the number of busy threads (WASM pthreads included). */
  cpuPerWall: number;
}

const RUNS = 7;

async function measure(config: string, dir: string, shape: MatMulChain): Promise<Measurement> {
  const x = new Float32Array(shape.rows * shape.width).fill(0.25);
  const t0 = performance.now();
  let run: () => Promise<unknown>;
  if (config === "ort-node-1" || config === "ort-node-2") {
    const ort = await import("onnxruntime-node");
    const threads = Number(config.slice(-1));
    const s = await ort.InferenceSession.create(join(dir, "onnx", "mm.onnx"), {
      intraOpNumThreads: threads,
      graphOptimizationLevel: "all",
    });
    run = () => s.run({ x: new ort.Tensor("float32", x, [shape.rows, shape.width]) });
  } else {
    const [build, threads, precompiled] = config.split("-").slice(1) as [
      "node" | "wasm",
      string,
      string | undefined,
    ];
    const ort = await loadOrtWeb(build);
    configureOrtWeb(ort, {
      numThreads: Number(threads),
      wasmModule: precompiled ? await compileOrtWasm() : undefined,
    });
    const s = await createWebSession(ort, await loadOnnxBytes("onnx/mm.onnx", fileLoader(dir)));
    run = () => s.run({ x: new ort.Tensor("float32", x, [shape.rows, shape.width]) });
  }
  const createMs = performance.now() - t0;
  let t = performance.now();
  await run();
  const firstRunMs = performance.now() - t;
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuPerWall = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
  times.sort((a, b) => a - b);
  const [minMs, medianMs] = [times[0]!, times[RUNS >> 1]!];
  return {
    config,
    createMs,
    firstRunMs,
    medianMs,
    minMs,
    gmacs: matmulChainMacs(shape) / minMs / 1e6,
    cpuPerWall,
  };
}

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
if (args[0] === "--child") {
  const [, config, dir, shapeJson] = args as [string, string, string, string];
  const m = await measure(config, dir, JSON.parse(shapeJson) as MatMulChain);
  process.stdout.write(JSON.stringify(m));
  process.exit(0); // onnxruntime-web's pthread workers would keep the process alive
} else {
  const [rows, width, layers] = (args.length ? args : ["512", "1024", "4"]).map(Number) as [
    number,
    number,
    number,
  ];
  const shape = { rows, width, layers };
  const dir = mkdtempSync(join(tmpdir(), "measure-threads-"));
  mkdirSync(join(dir, "onnx"));
  writeMatMulChain(join(dir, "onnx", "mm.onnx"), shape);
  console.log(
    `MatMul chain ${rows}×${width} · (${width}×${width}) × ${layers} = ${(matmulChainMacs(shape) / 1e9).toFixed(2)} G MAC per run; ${RUNS} timed runs; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(`model ${readFileSync(join(dir, "onnx", "mm.onnx_data")).length} B of weights (external data)`);
  const configs = [
    "web-wasm-1-precompiled",
    "web-node-1",
    "web-node-2",
    "web-node-2-precompiled",
    "ort-node-1",
    "ort-node-2",
  ];
  for (const config of configs) {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", self, "--child", config, dir, JSON.stringify(shape)],
      { encoding: "utf8" },
    );
    const m = JSON.parse(out) as Measurement;
    console.log(
      `${m.config.padEnd(24)} create ${m.createMs.toFixed(0).padStart(5)} ms  first run ${m.firstRunMs.toFixed(0).padStart(5)} ms  median ${m.medianMs.toFixed(1).padStart(7)} ms  min ${m.minMs.toFixed(1).padStart(7)} ms  ${m.gmacs.toFixed(1).padStart(6)} G MAC/s (min)  CPU/wall ${m.cpuPerWall.toFixed(2)}`,
    );
  }
}
