// Tiny-model splits for the deployment tests, made with the splitter as test/model-splitter/split-tiny.test.ts
// does (small budget, small chunks and pieces, DaViT stage 0 in bands), cached per budget in models/cache/ so
// the test files of this folder split once. The budget sets the stage count:
//   80 MiB → 6 stages (2 vision, the first banded; embed, encoder, decoder, lm_head): few Workers, so a
//            workerd start that compiles onnxruntime's 14 MB WebAssembly once per Worker stays short;
//   30 MiB → 23 stages, the decoder over 2 stages (16 vision, 3 encoder).
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defaultOptions } from "../../model-splitter/split/options";
import { splitModel } from "../../model-splitter/split/split";
import { tinyModelDir } from "../helpers/tiny-model";

const KiB = 1024;
const CACHE = join(import.meta.dirname, "..", "..", "models", "cache", "deploy-splits");

/** The tiny fp32 model split for a budget in MiB (generated on first use; safe under parallel test files). */
export function tinySplitDir(budgetMiB: number): string {
  const src = tinyModelDir();
  const dir = join(CACHE, `${src.split("/").pop()}-budget${budgetMiB}`);
  if (existsSync(join(dir, "manifest.json"))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  splitModel(
    src,
    tmp,
    defaultOptions({
      budget: budgetMiB * 2 ** 20,
      chunkBytes: 300 * KiB,
      pieceBytes: 300 * KiB,
      bandStages: 1,
      bandRows: 12,
      maxRows: 3,
      maxDecoderLength: 32,
    }),
  );
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process got there first
  }
  return dir;
}
