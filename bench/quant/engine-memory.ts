// WASM memory of the whole engine as a Worker creates it: runtime/engine/ort-web.ts with the WASM-only bundle
// (`onnxruntime-web/wasm`, what workerd loads), all four graphs in one onnxruntime-web instance, one fresh
// process per measurement. Compares onnxruntime-web's own heap growth with `initialMemoryBytes`
// (runtime/ort-env.ts) set to the smallest size creation fits in (found by bisection, 1 MiB steps) and to a
// rule of thumb (int8 bytes + a margin).
//
//   npx tsx bench/quant/engine-memory.ts [--model DIR] [--margin-mib N] [--out FILE]
import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createOrtWebNodeEngine } from "../../runtime-node/engine-ort-web-node";
import { GRAPHS, graphFiles } from "./florence-run";
import { installWasmMemoryProbe, wasmMemoryBytes } from "./wasm-memory";

const SELF = fileURLToPath(import.meta.url);
const MiB = 2 ** 20;

interface Row {
  initialMemoryBytes?: number;
  wasmAfterCreate?: number;
  error?: string;
}

async function childMain(model: string, initial: number | undefined, out: string): Promise<void> {
  installWasmMemoryProbe();
  const row: Row = initial ? { initialMemoryBytes: initial } : {};
  try {
    const engine = await createOrtWebNodeEngine({
      modelDir: model,
      build: "wasm",
      numThreads: 1,
      ...(initial ? { initialMemoryBytes: initial } : {}),
    });
    row.wasmAfterCreate = wasmMemoryBytes();
    await engine.release?.();
  } catch (e) {
    row.error = String((e as Error).message ?? e).split("\n")[0];
  }
  writeFileSync(out, JSON.stringify(row));
  process.exit(0);
}

function measure(model: string, initial?: number): Row {
  const out = `/tmp/engine-memory-${process.pid}-${Math.random().toString(36).slice(2)}.json`;
  const args = [
    SELF,
    "--child",
    "--model",
    model,
    "--out",
    out,
    ...(initial ? ["--initial", String(initial)] : []),
  ];
  const r = spawnSync(process.execPath, ["--import", "tsx", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`child exited with ${r.status}`);
  return JSON.parse(readFileSync(out, "utf8")) as Row;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const model = arg(argv, "--model") ?? "models/quant-bench/base-int8";
  if (argv.includes("--child"))
    return childMain(
      model,
      arg(argv, "--initial") ? Number(arg(argv, "--initial")) : undefined,
      arg(argv, "--out")!,
    );
  const marginMiB = Number(arg(argv, "--margin-mib") ?? 16);
  const bytes = GRAPHS.reduce((s, g) => {
    const f = graphFiles(model, g);
    return s + [f.model, ...f.data].reduce((x, p) => x + statSync(p).size, 0);
  }, 0);
  const grown = measure(model);
  if (grown.error || grown.wasmAfterCreate === undefined) throw new Error(grown.error);
  // Bisection: the smallest initial size that creation does not grow.
  let lo = Math.floor(bytes / MiB);
  let hi = Math.ceil(grown.wasmAfterCreate / MiB);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = measure(model, mid * MiB);
    if (!r.error && r.wasmAfterCreate !== undefined && r.wasmAfterCreate <= mid * MiB) hi = mid;
    else lo = mid;
  }
  const peak = hi * MiB;
  const rule = bytes + marginMiB * MiB;
  const ruled = measure(model, rule);
  const rows = [
    { what: "onnxruntime-web's own growth (default)", wasm: grown.wasmAfterCreate },
    { what: `initialMemoryBytes = the peak found by bisection (${(peak / MiB).toFixed(0)} MiB)`, wasm: peak },
    { what: `initialMemoryBytes = int8 bytes + ${marginMiB} MiB`, wasm: ruled.wasmAfterCreate ?? NaN },
  ];
  console.log(
    `\n## Engine (4 graphs, one onnxruntime-web/wasm instance, 1 thread): WASM memory after creating all sessions; ${model}, int8 bytes ${(bytes / MiB).toFixed(1)} MiB`,
  );
  console.log("| initial heap | WASM after creation | / int8 bytes |\n|---|---:|---:|");
  for (const r of rows)
    console.log(`| ${r.what} | ${(r.wasm / MiB).toFixed(1)} MiB | ${(r.wasm / bytes).toFixed(3)}× |`);
  const out = arg(argv, "--out");
  if (out)
    writeFileSync(
      out,
      JSON.stringify(
        { date: new Date().toISOString(), model, bytes, marginMiB, grown, peak, ruled, rows },
        null,
        1,
      ),
    );
}

await main();
