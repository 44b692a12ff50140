// Quantize and split the source model into models/prepared/, each output keyed by its inputs (the source
// folder's identity, the tool's source hash, the options), so an unchanged chain is skipped on the next start.
import { basename } from "node:path";
import type { SplitManifest } from "../../model-splitter/manifest";
import { defaultOptions } from "../../model-splitter/split/options";
import { splitModel } from "../../model-splitter/split/split";
import { DEFAULT_OPTIONS } from "../../quant/options";
import { quantizeFolder } from "../../quant/quantize-folder";
import { readManifest } from "../model-objects";
import { PREPARED_ROOT } from "../prepared";
import { folderIdentity, keyedFolder, keyOf, sourcesVersion } from "./keyed-folder";
import type { ModelSource } from "./source";
import type { StepClock } from "./steps";

export interface PrepareOptions {
  budget: number;
  chunkBytes: number;
  root?: string;
}

/**
 * quant's defaults: the decoder's lm_head and fc1 cut into 512-column blocks (the fastest decoder step on
 * onnxruntime-web, quant/README.md); the splitter moves the blocked lm_head into its own stage as it is.
 */
const QUANT_OPTIONS = DEFAULT_OPTIONS;

const slug = (dir: string) =>
  basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .slice(0, 60);
const line = (l: string) => console.log(`  ${l}`);

export interface Prepared {
  splitDir: string;
  manifest: SplitManifest;
}

export async function prepareSplit(src: ModelSource, o: PrepareOptions, clock: StepClock): Promise<Prepared> {
  if (src.isSplit) {
    console.log(`model ${src.dir} is already split: quantize and split skipped`);
    return { splitDir: src.dir, manifest: readManifest(src.dir) };
  }
  const root = o.root ?? PREPARED_ROOT;
  const name = slug(src.dir);
  const quant = await clock.run("quantize (int8)", async () => {
    const inputs = {
      source: src.dir,
      identity: folderIdentity(src.dir),
      quant: sourcesVersion(["quant", "onnx-graph"]),
      options: QUANT_OPTIONS,
    };
    const f = await keyedFolder(root, `int8-${name}`, keyOf([inputs]), inputs, (tmp) => {
      const r = quantizeFolder(src.dir, tmp, QUANT_OPTIONS, line);
      line(`${(r.bytesBefore / 1e6).toFixed(0)} MB → ${(r.bytesAfter / 1e6).toFixed(0)} MB`);
    });
    return { value: f.dir, skipped: f.reused, note: f.dir };
  });
  const splitDir = await clock.run(
    `split (budget ${o.budget / 2 ** 20} MiB, chunk ${o.chunkBytes / 2 ** 20} MiB)`,
    async () => {
      const inputs = {
        quantized: quant,
        identity: folderIdentity(quant),
        splitter: sourcesVersion(["model-splitter", "onnx-graph"]),
        budget: o.budget,
        chunkBytes: o.chunkBytes,
      };
      const f = await keyedFolder(root, `split-${name}`, keyOf([inputs]), inputs, (tmp) => {
        const { manifest } = splitModel(
          quant,
          tmp,
          defaultOptions({ budget: o.budget, chunkBytes: o.chunkBytes }),
          line,
        );
        line(`${manifest.stages.length} stages, ${manifest.files.length} files`);
      });
      return { value: f.dir, skipped: f.reused, note: f.dir };
    },
  );
  return { splitDir, manifest: readManifest(splitDir) };
}
