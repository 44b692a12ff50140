// The benchmark's model folders. fp32: the synthetic base model at models/synthetic-base-seed0 (what
// `npm run model:synth -- --preset base` writes), generated when missing. int8: that folder through quant/,
// cached under models/bench/ by a key of the fp32 folder's name and generator version and a hash of quant/ and onnx-graph/
// sources, so that a change to the quantizer or a regenerated model gives a new int8 folder (older ones are
// removed). A folder that cannot be made leaves its rows "not available" with the reason, not a failed run.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { generateModel, generatorVersion } from "../../synthetic-model/generate";
import { PRESETS } from "../../synthetic-model/presets";
import { BENCH_MODELS_DIR, REPO_ROOT } from "./paths";

export interface ModelPrep {
  dir?: string;
  /** Why there is no folder. */
  unavailable?: string;
  /** Generator version recorded in the folder, and whether the current sources would write the same. */
  generatorVersion?: string;
  stale?: boolean;
  /** Seconds spent making it in this run (0 when cached). */
  seconds: number;
  bytes?: number;
}

export const DEFAULT_FP32_DIR = join(REPO_ROOT, "models", "synthetic-base-seed0");

function folderMeta(dir: string): { generator_version?: string; preset?: string } {
  try {
    return JSON.parse(readFileSync(join(dir, "florence_edge.json"), "utf8")) as {
      generator_version?: string;
      preset?: string;
    };
  } catch {
    return {};
  }
}

/** The synthetic preset a folder was made with (MAC counts need its dimensions); base for anything else. */
export function folderPreset(dir: string | undefined): "base" | "tiny" {
  return dir && folderMeta(dir).preset === "tiny" ? "tiny" : "base";
}

export function onnxBytes(dir: string): number {
  const onnx = join(dir, "onnx");
  return readdirSync(onnx).reduce((a, f) => a + statSync(join(onnx, f)).size, 0);
}

const hasGraphs = (dir: string) =>
  ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"].every((g) =>
    existsSync(join(dir, "onnx", `${g}.onnx`)),
  );

export function prepareFp32(dir: string, log: (s: string) => void): ModelPrep {
  const t0 = performance.now();
  if (!hasGraphs(dir)) {
    if (dir !== DEFAULT_FP32_DIR) return { unavailable: `not available: ${dir} holds no model`, seconds: 0 };
    log(`generating the synthetic base model into ${dir} (1–2 min) ...`);
    generateModel({ preset: PRESETS.base, seed: 0, outDir: dir, force: true });
  }
  const version = folderMeta(dir).generator_version;
  return {
    dir,
    generatorVersion: version,
    stale: version !== undefined && version !== generatorVersion(),
    seconds: (performance.now() - t0) / 1000,
    bytes: onnxBytes(dir),
  };
}

export function sourceHash(dirs: string[]): string {
  const h = createHash("sha256");
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory()
          ? e.name === "gen" || e.name.startsWith(".")
            ? []
            : walk(join(d, e.name))
          : [join(d, e.name)],
      )
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".tmp.ts"))
      .sort();
  for (const f of dirs.flatMap((d) => walk(join(REPO_ROOT, d)))) {
    h.update(relative(REPO_ROOT, f));
    h.update(readFileSync(f));
  }
  return h.digest("hex").slice(0, 12);
}

/**
 * `npm run quant:memory`'s record (the engine's WASM heap peak, which the runtime then starts at). Not fatal:
 * without it the engine grows its heap as before.
 */
async function recordHint(dir: string, log: (s: string) => void): Promise<void> {
  try {
    const { recordMemoryHint } = await import("../../quant/memory-hint");
    await recordMemoryHint(dir, {}, (l) => log(`  quant:memory: ${l}`));
  } catch (e) {
    log(
      `  quant:memory failed, the engine will grow its heap by itself: ${(e as Error).message.split("\n")[0]}`,
    );
  }
}

/** The int8 folder for `fp32`, quantizing (a few minutes for base) when this key has none yet. */
export async function prepareInt8(fp32: ModelPrep, log: (s: string) => void): Promise<ModelPrep> {
  if (!fp32.dir) return { unavailable: `not available: no fp32 model (${fp32.unavailable})`, seconds: 0 };
  const t0 = performance.now();
  let quantizeFolder: typeof import("../../quant/quantize-folder").quantizeFolder;
  try {
    ({ quantizeFolder } = await import("../../quant/quantize-folder"));
  } catch (e) {
    return {
      unavailable: `not available: quant/ does not load (${(e as Error).message.split("\n")[0]})`,
      seconds: 0,
    };
  }
  const prefix = `int8-${basename(fp32.dir)}-`;
  const key = `${prefix}${fp32.generatorVersion ?? "unknown"}-q${sourceHash(["quant", "onnx-graph"])}`;
  const dir = join(BENCH_MODELS_DIR, key);
  if (!hasGraphs(dir)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    log(`quantizing ${fp32.dir} → ${dir} (a few minutes) ...`);
    try {
      quantizeFolder(fp32.dir, tmp, {}, (l) => log(`  quant: ${l}`));
      await recordHint(tmp, log);
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      return {
        unavailable: `not available: quantization failed (${(e as Error).message.split("\n")[0]})`,
        seconds: (performance.now() - t0) / 1000,
      };
    }
    for (const old of readdirSync(BENCH_MODELS_DIR)) {
      if (old.startsWith(prefix) && old !== key)
        rmSync(join(BENCH_MODELS_DIR, old), { recursive: true, force: true });
    }
  }
  return {
    dir,
    generatorVersion: fp32.generatorVersion,
    seconds: (performance.now() - t0) / 1000,
    bytes: onnxBytes(dir),
  };
}
