// Which model `npm start` serves: --model DIR; else the source an earlier start prepared (no new Hub request);
// else onnx-community/Florence-2-base-ft from the Hub (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE honoured); and if
// the Hub cannot be reached, the synthetic base model, said plainly. Other Hub errors (bad token, no such
// repo, corrupt download) stop the start: they need the user, not a fallback.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_REPO, fetchModel, hubUrlFromEnv, HubUnreachableError } from "../../model-fetch";
import { SPLIT_FORMAT } from "../../model-splitter/manifest";
import { cachedModelDir } from "../../synthetic-model/cache";
import { isSyntheticModel, readLastPrepared, type SourceKind } from "../prepared";
import type { StepClock } from "./steps";

export interface ModelSource {
  kind: SourceKind;
  dir: string;
  synthetic: boolean;
  /** The folder is already a split model (manifest.json): quantize and split are skipped. */
  isSplit: boolean;
}

export interface SourceOptions {
  model?: string;
  /** Ask the Hub again even if an earlier start settled on a source. */
  refetch: boolean;
  /** Skip the Hub: serve the synthetic base model. */
  synthetic: boolean;
  /** Synthetic model size for the fallback (default base; tiny is for quick checks and tests). */
  syntheticPreset?: "base" | "tiny";
  preparedRoot?: string;
}

const isModelFolder = (dir: string) =>
  existsSync(join(dir, "onnx", "vision_encoder.onnx")) && existsSync(join(dir, "tokenizer.json"));

function isSplitFolder(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { format?: string };
    return manifest.format === SPLIT_FORMAT;
  } catch {
    return false;
  }
}

function described(kind: SourceKind, dir: string): ModelSource {
  return { kind, dir, synthetic: isSyntheticModel(dir), isSplit: isSplitFolder(dir) };
}

async function synthesize(clock: StepClock, preset: "base" | "tiny"): Promise<ModelSource> {
  const dir = await clock.run(`synthetic ${preset} model`, () => {
    let generated = false;
    const out = cachedModelDir({
      preset,
      seed: 0,
      log: (line) => {
        generated = true;
        console.log(`  ${line}`);
      },
    });
    return { value: out, skipped: !generated, note: out };
  });
  return described("synthetic", dir);
}

export async function chooseSource(o: SourceOptions, clock: StepClock): Promise<ModelSource> {
  if (o.model) {
    const dir = resolve(o.model);
    const src = described("local", dir);
    if (!src.isSplit && !isModelFolder(dir)) {
      throw new Error(
        `--model ${dir}: neither a model folder (onnx/vision_encoder.onnx, tokenizer.json) nor a split (manifest.json)`,
      );
    }
    return src;
  }
  const preset = o.syntheticPreset ?? "base";
  if (o.synthetic) return synthesize(clock, preset);
  const last = readLastPrepared(o.preparedRoot);
  if (last && !o.refetch && isModelFolder(last.source.dir)) {
    console.log(
      `model: ${last.source.dir} (${last.source.kind}, chosen by an earlier start; --refetch asks the Hub again)`,
    );
    return described(last.source.kind, last.source.dir);
  }
  const hubUrl = hubUrlFromEnv();
  const t0 = performance.now();
  try {
    const result = await clock.run(`download ${DEFAULT_REPO} from ${hubUrl}`, async () => {
      const r = await fetchModel({ hubUrl });
      return {
        value: r,
        skipped: r.downloaded.length === 0,
        note: `${(r.downloadedBytes / 1e6).toFixed(0)} MB downloaded${r.offline ? ", Hub unreachable: earlier complete download used" : ""}`,
      };
    });
    return described("hub", result.dir);
  } catch (e) {
    if (!(e instanceof HubUnreachableError)) throw e;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.warn(
      `\nWARNING: the Hugging Face Hub is not reachable (${e.message}; gave up after ${seconds} s).\n` +
        `WARNING: falling back to the SYNTHETIC Florence-2-${preset} model: real architecture, RANDOM weights. The service\n` +
        `WARNING: works end to end, but captions, boxes and text are noise; every API response says model.synthetic: true.\n` +
        `WARNING: For the real model: make the Hub reachable (or set HF_ENDPOINT to a mirror) and run npm start -- --refetch,\n` +
        `WARNING: or pass --model DIR with a downloaded onnx-community/Florence-2-base-ft folder.\n`,
    );
    return synthesize(clock, preset);
  }
}
