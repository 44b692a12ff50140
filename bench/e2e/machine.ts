// What the numbers were measured on: CPU model and vector extensions (from /proc/cpuinfo), cores, memory,
// Node and package versions, and the load average over the run (the machine is shared: a load above the core
// count means other processes took CPU time from the measurements).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, hostname, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./paths";

export interface MachineInfo {
  cpu: string;
  cores: number;
  /** SIMD features onnxruntime's kernels care about. */
  simd: string[];
  memoryGiB: number;
  hostname: string;
  node: string;
  packages: Record<string, string>;
  chromium?: string;
  gitCommit?: string;
}

function cpuInfo(): { model: string; flags: string[] } {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
    const flags = /^flags\s*:\s*(.+)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    return { model: model ?? cpus()[0]?.model ?? "unknown", flags };
  } catch {
    return { model: cpus()[0]?.model ?? "unknown", flags: [] };
  }
}

/** The version Node would resolve from `from` (its own node_modules first, then the repository's). */
function packageVersion(name: string, from = REPO_ROOT): string {
  for (const dir of [from, REPO_ROOT]) {
    try {
      return (
        JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    } catch {
      // not installed there
    }
  }
  return "not installed";
}

const TRANSFORMERS_DIR = join(REPO_ROOT, "node_modules", "@huggingface", "transformers");

export function machineInfo(): MachineInfo {
  const { model, flags } = cpuInfo();
  let chromium: string | undefined;
  try {
    chromium = execFileSync("/usr/bin/chromium", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    chromium = undefined;
  }
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    gitCommit = undefined;
  }
  return {
    cpu: model,
    cores: availableParallelism(),
    simd: flags.filter((f) => /^(avx2|avx512f|avx512_vnni|avx_vnni|fma|sse4_2)$/.test(f)),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    hostname: hostname(),
    node: process.version,
    packages: {
      "onnxruntime-web": packageVersion("onnxruntime-web"),
      "onnxruntime-node": packageVersion("onnxruntime-node"),
      "@huggingface/transformers": packageVersion("@huggingface/transformers"),
      // transformers.js pins its own onnxruntime-web (a dev build): the browser peer runs that one.
      "onnxruntime-web (transformers.js's)": packageVersion("onnxruntime-web", TRANSFORMERS_DIR),
      "onnxruntime-node (transformers.js's)": packageVersion("onnxruntime-node", TRANSFORMERS_DIR),
      "playwright-core": packageVersion("playwright-core"),
    },
    chromium,
    gitCommit,
  };
}

/** Samples the 1-minute load average every `everyMs` until stopped. */
/**
 * Load average samples: on a timer while the event loop runs, and explicitly through `sample()` (the jobs run
 * under spawnSync, which blocks the timer: main.ts samples after each job and adds the jobs' own start/end).
 */
export function loadSampler(everyMs = 5000): {
  sample(x?: number): void;
  stop(): { min: number; median: number; max: number; samples: number };
} {
  const xs = [loadavg()[0]!];
  const timer = setInterval(() => xs.push(loadavg()[0]!), everyMs);
  timer.unref();
  return {
    sample(x = loadavg()[0]!) {
      xs.push(x);
    },
    stop() {
      clearInterval(timer);
      xs.push(loadavg()[0]!);
      const s = [...xs].sort((a, b) => a - b);
      return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]!, samples: s.length };
    },
  };
}

/** "<date>-<machine>": the results file's name (machine = hostname, made filename-safe). */
export function runName(date = new Date(), host = hostname()): string {
  return `${date.toISOString().slice(0, 10)}-${host.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40)}`;
}
