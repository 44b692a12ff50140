// Which int8 op pattern should quant/ emit? Builds single-op models for every candidate (op-models.ts) on the
// real Florence-2-base shapes and measures, on onnxruntime-web (WASM in Node, 1 and 2 threads) and
// onnxruntime-node (1 and 2 threads): ms per call, multiply-accumulates per second and cosine to fp32; then,
// in fresh processes (WASM memory never shrinks), the WASM memory after session creation and after the first
// run for weights inline vs external data. Prints tables; writes bench/results/quant-ops-<date>.json.
//
//   npm run bench:quant-ops [-- --configs web1,web2,node1,node2] [--no-memory] [--quick]
//        [--shapes lm_head,fc1] [--patterns fp32,dynamicquantizematmul] (substring filters) [--tag NAME]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONV_PATTERNS, CONV_SHAPES, MATMUL_PATTERNS, MATMUL_SHAPES } from "./op-models";
import { buildAll, type ModelFile } from "./op-build";
import { measureMemory, timeConfig, type MemoryResult, type TimingRow } from "./op-measure";
import { isoDate } from "./stats";

const SELF = fileURLToPath(import.meta.url);

interface Args {
  configs: string[];
  memory: boolean;
  quick: boolean;
  /** Substrings of shape names to keep (default: all). */
  shapes?: string[];
  /** Substrings of pattern names to keep (default: all). */
  patterns?: string[];
  /** Suffix of the results file name, for focused re-runs. */
  tag?: string;
  child?: string;
  dir?: string;
  out?: string;
  extra: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { configs: ["web1", "web2", "node1", "node2"], memory: true, quick: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === "--configs") a.configs = argv[++i]!.split(",");
    else if (v === "--no-memory") a.memory = false;
    else if (v === "--quick") a.quick = true;
    else if (v === "--shapes") a.shapes = argv[++i]!.split(",");
    else if (v === "--patterns") a.patterns = argv[++i]!.split(",");
    else if (v === "--tag") a.tag = argv[++i];
    else if (v === "--child") a.child = argv[++i];
    else if (v === "--dir") a.dir = argv[++i];
    else if (v === "--out") a.out = argv[++i];
    else a.extra.push(v);
  }
  return a;
}

/** Runs this file again in a fresh Node process (own onnxruntime-web instance and WASM memory). */
function child(args: string[]): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", SELF, ...args], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`child ${args.join(" ")} failed with status ${r.status}`);
}

async function runChild(a: Args): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(a.dir!, "manifest.json"), "utf8")) as ModelFile[];
  if (a.child === "time") {
    const [cfg] = a.extra;
    const rows = await timeConfig(cfg!, manifest, a.quick);
    writeFileSync(a.out!, JSON.stringify(rows));
  } else if (a.child === "memory") {
    const [id, data] = a.extra;
    const r = await measureMemory(manifest, id!, data as "inline" | "external");
    writeFileSync(a.out!, JSON.stringify(r));
  }
  process.exit(0);
}

function fmtRate(macsPerS: number): string {
  return `${(macsPerS / 1e9).toFixed(1)} G`;
}

function printTiming(rows: TimingRow[], configs: string[]): void {
  const shapes = [...new Set(rows.map((r) => r.shape))];
  for (const shape of shapes) {
    console.log(`\n### ${shape}`);
    console.log(
      `| pattern | ${configs.map((c) => `${c}: MAC/s · median ms (min)`).join(" | ")} | cosine vs fp32 |`,
    );
    console.log(`|---|${configs.map(() => "---").join("|")}|---|`);
    const patterns = [...new Set(rows.filter((r) => r.shape === shape).map((r) => r.pattern))];
    for (const p of patterns) {
      const cells = configs.map((c) => {
        const r = rows.find((x) => x.shape === shape && x.pattern === p && x.config === c);
        if (!r) return "–";
        if (r.error) return `error: ${r.error.slice(0, 60)}`;
        return `${fmtRate(r.macsPerS!)} · ${r.timing!.medianMs.toFixed(2)} ms (min ${r.timing!.minMs.toFixed(2)})`;
      });
      const cos = rows.find((x) => x.shape === shape && x.pattern === p && x.cosine !== undefined)?.cosine;
      console.log(`| ${p} | ${cells.join(" | ")} | ${cos === undefined ? "–" : cos.toFixed(6)} |`);
    }
  }
}

function printMemory(mem: MemoryResult[]): void {
  console.log("\n### onnxruntime-web WASM memory (1 thread; fresh process each)");
  console.log(
    "| model | data | file bytes | WASM after create | after 1st run | create / file | net of runtime / file |",
  );
  console.log("|---|---|---|---|---|---|---|");
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  for (const m of mem) {
    if (m.error) {
      console.log(`| ${m.id} | ${m.data} | ${mb(m.fileBytes)} | error: ${m.error.slice(0, 80)} | | | |`);
      continue;
    }
    console.log(
      `| ${m.id} | ${m.data} | ${mb(m.fileBytes)} | ${mb(m.wasmAfterCreate!)} | ${mb(m.wasmAfterRun!)} | ${(m.wasmAfterCreate! / m.fileBytes).toFixed(2)}× | ${m.netRatio === undefined ? "–" : `${m.netRatio.toFixed(2)}×`} |`,
    );
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return runChild(a);

  const dir = mkdtempSync(join(tmpdir(), "quant-ops-"));
  try {
    console.log(`building single-op models in ${dir} ...`);
    const manifest = buildAll(dir, a.quick, { shapes: a.shapes, patterns: a.patterns });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));

    const timing: TimingRow[] = [];
    for (const cfg of a.configs) {
      console.log(`timing ${cfg} ...`);
      const out = join(dir, `time-${cfg}.json`);
      child(["--child", "time", "--dir", dir, "--out", out, ...(a.quick ? ["--quick"] : []), cfg]);
      timing.push(...(JSON.parse(readFileSync(out, "utf8")) as TimingRow[]));
    }
    printTiming(timing, a.configs);

    const memory: MemoryResult[] = [];
    if (a.memory) {
      const ids = ["baseline", ...manifest.filter((m) => m.memoryCase).map((m) => m.id)];
      for (const id of ids) {
        for (const data of id === "baseline" ? ["inline"] : ["inline", "external"]) {
          const out = join(dir, `mem-${memory.length}.json`);
          child(["--child", "memory", "--dir", dir, "--out", out, id, data]);
          memory.push(JSON.parse(readFileSync(out, "utf8")) as MemoryResult);
        }
      }
      const base = memory.find((m) => m.id === "baseline")?.wasmAfterCreate ?? 0;
      for (const m of memory)
        if (m.id !== "baseline" && m.wasmAfterCreate) m.netRatio = (m.wasmAfterCreate - base) / m.fileBytes;
      printMemory(memory);
    }

    mkdirSync("bench/results", { recursive: true });
    const path = `bench/results/quant-ops-${isoDate()}${a.tag ? `-${a.tag}` : ""}.json`;
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        node: process.version,
        loadavgAtEnd: (await import("node:os")).loadavg(),
      },
      versions: { onnxruntimeWeb: "1.30.0", onnxruntimeNode: "1.30.0" },
      matmulPatterns: MATMUL_PATTERNS,
      convPatterns: CONV_PATTERNS,
      matmulShapes: MATMUL_SHAPES,
      convShapes: CONV_SHAPES,
      memoryMethod:
        "byteLength of onnxruntime-web's WebAssembly.Memory, captured by wrapping the WebAssembly.Memory constructor before the module starts (bench/quant/wasm-memory.ts); one fresh process per measurement",
      timing,
      memory,
    };
    writeFileSync(path, JSON.stringify(result, null, 1));
    console.log(`\nwrote ${path} (${statSync(path).size} bytes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
