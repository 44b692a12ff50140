// splitModel: a Florence-2 model folder (fp32 or int8) → a split folder: the config files, every stage's
// graphs with chunked external data, and manifest.json (model-splitter/manifest.ts).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { metadataFrom } from "../../runtime/model-folder";
import { SPLIT_FORMAT, type SplitManifest, type Stage } from "../manifest";
import { entryFor } from "../write/files";
import type { SplitOptions } from "./options";
import { planRole } from "./plan-role";
import { loadRoles } from "./roles";

const CONFIG_FILES = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "added_tokens.json",
  "florence_edge.json",
];

export interface SplitResult {
  manifest: SplitManifest;
  scenarios: Map<string, string>;
}

function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : {};
}

export function splitModel(
  inDir: string,
  outDir: string,
  o: SplitOptions,
  log: (s: string) => void = () => undefined,
): SplitResult {
  if (existsSync(outDir)) rmSync(outDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const config = readJson(join(inDir, "config.json"));
  const edge = readJson(join(inDir, "florence_edge.json"));
  const { roles, dims, splits } = loadRoles(
    inDir,
    config,
    readJson(join(inDir, "preprocessor_config.json")),
    o,
  );
  for (const s of splits)
    log(`split ${s.tensor} (${(s.bytes / 2 ** 20).toFixed(1)} MiB, read by ${s.op}) into ${s.blocks} blocks`);
  const stages: Stage[] = [];
  const scenarios = new Map<string, string>();
  for (const r of roles) {
    log(`${r.role}: planning`);
    const planned = planRole(r, o, dims, outDir);
    planned.stages.forEach((s, i) => {
      stages.push(s);
      scenarios.set(s.id, planned.scenarios[i]!);
      log(
        `  ${s.id}: ${s.graphs.length} graph(s), weights ${(s.estimate.weightBytes / 2 ** 20).toFixed(1)} MiB, estimated peak ${(s.estimate.peakBytes / 2 ** 20).toFixed(1)} MiB`,
      );
    });
  }
  const copied = CONFIG_FILES.filter((f) => existsSync(join(inDir, f)));
  for (const f of copied) copyFileSync(join(inDir, f), join(outDir, f));
  const meta = metadataFrom(edge, config, "florence-2");
  const manifest: SplitManifest = {
    format: SPLIT_FORMAT,
    model: { id: meta.id, version: meta.version, quantization: meta.quantization, source: inDir },
    budget: { bytes: o.budget, target: o.target, chunkBytes: o.chunkBytes },
    calibration: o.calibration,
    engine: {
      dModel: dims.dModel,
      vocabSize: dims.vocabSize,
      decoderLayers: dims.layers,
      heads: dims.heads,
      headDim: dims.headDim,
    },
    limits: {
      imageSize: dims.imageSize,
      maxEncoderLength: dims.maxEncoderLength,
      maxDecoderLength: o.maxDecoderLength,
      maxRows: o.maxRows,
    },
    stages,
    files: [
      ...copied.map((f) => entryFor(outDir, f)),
      ...stages.flatMap((s) => s.graphs.flatMap((g) => [g.model, ...g.externalData])),
    ],
  };
  writeManifest(outDir, manifest);
  return { manifest, scenarios };
}

export function writeManifest(outDir: string, m: SplitManifest): void {
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(m, null, 1)}\n`);
}
