// The split model the edge job deploys: the fp32 model through quant/ and model-splitter/ into stages of
// ≤ 128 MiB with files ≤ 25 MiB (one Worker isolate each), measured by the splitter's probe, cached under
// models/bench/ by the fp32 folder, its generator version and a hash of quant/ and onnx-graph/ (the int8 weights
// it holds) and model-splitter/ (the stages).
//
// The int8 folder is quant/'s default output (decoder lm_head and fc1 in 512-column blocks), the same as the
// in-process int8 rows use; the splitter moves the blocked lm_head into its own stage as it is. The splitter's
// (Splits made before the splitter accepted blocks used --split-above 0; the key now tells them apart.)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BENCH_MODELS_DIR, REPO_ROOT } from "./paths";
import { sourceHash, type ModelPrep } from "./prep";

export interface SplitPrep {
  dir?: string;
  unavailable?: string;
  /** Seconds spent making it in this run (0 when cached). */
  seconds: number;
  /** Made by this run (true) or cached / given with --split (false). */
  made: boolean;
}

export const SPLIT_BUDGET = "128MiB";
export const SPLIT_CHUNK = "25MiB";

function tsx(script: string, args: string[], log: (s: string) => void): void {
  log(`  ${script} ${args.join(" ")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}`);
}

/** `given`: a split folder from --split (used as is); else the cached one for `fp32`, made when missing. */
export function prepareSplit(
  fp32: ModelPrep,
  given: string | undefined,
  log: (s: string) => void,
): SplitPrep {
  if (given) {
    return existsSync(join(given, "manifest.json"))
      ? { dir: given, seconds: 0, made: false }
      : {
          unavailable: `not available: ${given} holds no split model (manifest.json)`,
          seconds: 0,
          made: false,
        };
  }
  if (!fp32.dir)
    return { unavailable: `not available: no fp32 model (${fp32.unavailable})`, seconds: 0, made: false };
  const prefix = `split-${basename(fp32.dir)}-`;
  const key = `${prefix}${fp32.generatorVersion ?? "unknown"}-q${sourceHash(["quant", "onnx-graph", "model-splitter"])}-b${SPLIT_BUDGET}-c${SPLIT_CHUNK}`;
  const dir = join(BENCH_MODELS_DIR, key);
  if (existsSync(join(dir, "manifest.json"))) return { dir, seconds: 0, made: false };
  const t0 = performance.now();
  const int8 = `${dir}.int8-tmp-${process.pid}`;
  const tmp = `${dir}.tmp-${process.pid}`;
  log(
    `splitting ${fp32.dir} → ${dir} (quantize ≈ 1 min, split ≈ 3 min, probe of every stage ≈ 10 min; once) ...`,
  );
  try {
    tsx("quant/cli.ts", ["--in", fp32.dir, "--out", int8], log);
    tsx(
      "model-splitter/cli.ts",
      ["--in", int8, "--out", tmp, "--budget", SPLIT_BUDGET, "--chunk", SPLIT_CHUNK, "--probe"],
      log,
    );
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    return {
      unavailable: `not available: making the split failed (${(e as Error).message})`,
      seconds: (performance.now() - t0) / 1000,
      made: false,
    };
  } finally {
    rmSync(int8, { recursive: true, force: true });
  }
  for (const old of readdirSync(BENCH_MODELS_DIR)) {
    if (old.startsWith(prefix) && old !== key)
      rmSync(join(BENCH_MODELS_DIR, old), { recursive: true, force: true });
  }
  return { dir, seconds: (performance.now() - t0) / 1000, made: true };
}
