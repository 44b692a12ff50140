// Which model folder the Node server serves: --model DIR, else $FLORENCE_MODEL_DIR, else the synthetic base
// model if one was generated (models/synthetic-base-seed0), else the tiny synthetic model (generated on first
// use into models/cache/, a few seconds). Synthetic models have random weights: their answers are noise.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { cachedModelDir } from "../synthetic-model/cache";
import { REPO_ROOT } from "../synthetic-model/generate";

export interface ModelChoice {
  dir: string;
  reason: string;
}

const hasGraphs = (dir: string) =>
  existsSync(join(dir, "onnx", "vision_encoder.onnx")) && existsSync(join(dir, "tokenizer.json"));

export function chooseModelDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ModelChoice {
  if (flag) return { dir: resolve(flag), reason: "--model" };
  if (env.FLORENCE_MODEL_DIR) return { dir: resolve(env.FLORENCE_MODEL_DIR), reason: "FLORENCE_MODEL_DIR" };
  const base = join(REPO_ROOT, "models", "synthetic-base-seed0");
  if (hasGraphs(base)) return { dir: base, reason: "default: the synthetic base model in models/" };
  return {
    dir: cachedModelDir({ preset: "tiny", seed: 0, log: (l) => console.log(l) }),
    reason: "default: the tiny synthetic model (no other model found)",
  };
}
