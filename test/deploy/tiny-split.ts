// A split of the tiny synthetic model with a small budget (many stages of every role), made once per test file
// into a temp folder (≈1 s). Same options as test/model-splitter/split-tiny.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SplitManifest } from "../../model-splitter/manifest";
import { defaultOptions } from "../../model-splitter/split/options";
import { splitModel } from "../../model-splitter/split/split";
import { tinyModelDir } from "../helpers/tiny-model";

export interface TinySplit {
  dir: string;
  manifest: SplitManifest;
  cleanup(): void;
}

export function makeTinySplit(): TinySplit {
  const root = mkdtempSync(join(tmpdir(), "deploy-tiny-"));
  const dir = join(root, "split");
  const { manifest } = splitModel(
    tinyModelDir(),
    dir,
    defaultOptions({
      budget: 24 * 2 ** 20,
      chunkBytes: 300 * 1024,
      pieceBytes: 40 * 1024,
      bandStages: 2,
      bandRows: 12,
      maxRows: 3,
      maxDecoderLength: 32,
    }),
  );
  return { dir, manifest, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
