// Writes a complete synthetic Florence-2 model folder in the onnx-community layout (REFERENCE.md §2): the JSON
// configs, the tokenizer files and the four ONNX graphs with inline fp32 weights. Graphs are built and written
// one at a time and dropped before the next, so peak memory is about one graph (≈0.4 GB for base), not four.
// The folder is assembled under a temporary name and renamed into place, so a folder that exists is complete.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Random, writeModel, type ModelProto } from "../onnx-graph";
import { florenceEdgeMetadata, generationConfig, modelConfig, preprocessorConfig } from "./configs";
import type { ParamStats } from "./export-ops";
import { baseVocabSize, type Preset } from "./presets";
import { buildDecoderMerged, buildEmbedTokens, buildEncoder } from "./text";
import { buildTokenizerFiles } from "./tokenizer";
import { buildVisionEncoder } from "./vision-encoder";

export type GraphBuilderFn = (preset: Preset, rng: Random) => { model: ModelProto; stats: ParamStats };

export interface GraphSpec {
  /** Path inside the model folder. */
  file: string;
  build: GraphBuilderFn;
  /** The published Florence-2-base-ft fp32 file: size in decimal MB and parameters (REFERENCE.md §1–2). */
  reference: { mb: number; params: number };
}

export const GRAPHS: readonly GraphSpec[] = [
  { file: "onnx/vision_encoder.onnx", build: buildVisionEncoder, reference: { mb: 367, params: 91.21e6 } },
  { file: "onnx/embed_tokens.onnx", build: buildEmbedTokens, reference: { mb: 158, params: 39.39e6 } },
  { file: "onnx/encoder_model.onnx", build: buildEncoder, reference: { mb: 173, params: 43.32e6 } },
  {
    file: "onnx/decoder_model_merged.onnx",
    build: buildDecoderMerged,
    reference: { mb: 388, params: 96.89e6 },
  },
];

export interface GeneratedGraph extends ParamStats {
  file: string;
  bytes: number;
  buildSeconds: number;
  writeSeconds: number;
}

export interface GenerateResult {
  dir: string;
  preset: Preset["name"];
  seed: number;
  generatorVersion: string;
  graphs: GeneratedGraph[];
  seconds: number;
}

export interface GenerateOptions {
  preset: Preset;
  seed: number;
  outDir: string;
  /** Replace an existing model folder (refused for folders that are not one). */
  force?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_DIRS = ["synthetic-model", "onnx-graph"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    )
    .sort();
}

let cachedVersion: string | undefined;

/**
 * The generator's version: a hash of its own sources (synthetic-model/ and onnx-graph/), so that any change to
 * what it writes gives a new version and cached folders made by older code are recognised as stale.
 */
export function generatorVersion(): string {
  if (cachedVersion) return cachedVersion;
  const h = createHash("sha256");
  for (const f of SOURCE_DIRS.flatMap((d) => sourceFiles(join(REPO_ROOT, d)))) {
    h.update(relative(REPO_ROOT, f).replaceAll("\\", "/"));
    h.update("\0");
    h.update(readFileSync(f));
    h.update("\0");
  }
  cachedVersion = `src-${h.digest("hex").slice(0, 12)}`;
  return cachedVersion;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const secondsSince = (t0: number) => (performance.now() - t0) / 1000;

/** Writes every file of a model folder into `dir` (which must exist). */
export function writeModelFolder(
  dir: string,
  preset: Preset,
  seed: number,
  log: (line: string) => void,
): GeneratedGraph[] {
  writeConfigFiles(dir, preset, seed, log);
  mkdirSync(join(dir, "onnx"), { recursive: true });
  return GRAPHS.map((spec, i) =>
    buildAndWrite(dir, spec, preset, seed, (line) =>
      log(`[${i + 1}/${GRAPHS.length}] ${spec.file}: ${line}`),
    ),
  );
}

/** The JSON files: configs, our metadata and the tokenizer. */
export function writeConfigFiles(
  dir: string,
  preset: Preset,
  seed: number,
  log: (line: string) => void = () => {},
): void {
  const configs: Record<string, unknown> = {
    "config.json": modelConfig(preset),
    "generation_config.json": generationConfig(),
    "preprocessor_config.json": preprocessorConfig(preset),
    "florence_edge.json": florenceEdgeMetadata(preset, seed, generatorVersion()),
    ...buildTokenizerFiles(baseVocabSize(preset), preset.text.maxPositions),
  };
  for (const [name, value] of Object.entries(configs)) writeJson(join(dir, name), value);
  log(`configs and tokenizer written (${Object.keys(configs).length} files)`);
}

/** One graph: build, write, and let the model (all its weights) go out of scope on return. */
function buildAndWrite(
  dir: string,
  spec: GraphSpec,
  preset: Preset,
  seed: number,
  log: (line: string) => void,
): GeneratedGraph {
  log("building");
  let t0 = performance.now();
  // Every builder gets the same seed: weights are drawn per tensor name, so tied tensors (the token table in
  // embed_tokens and the decoder's lm_head) come out identical across files.
  const { model, stats } = spec.build(preset, new Random(seed));
  const buildSeconds = secondsSince(t0);
  log(`built in ${buildSeconds.toFixed(1)} s (${(stats.params / 1e6).toFixed(2)} M params); writing`);
  t0 = performance.now();
  const bytes = writeModel(join(dir, spec.file), model).reduce((a, w) => a + w.bytes, 0);
  const writeSeconds = secondsSince(t0);
  log(`wrote ${mb(bytes)} in ${writeSeconds.toFixed(1)} s`);
  return {
    file: spec.file,
    params: stats.params,
    elements: stats.elements,
    bytes,
    buildSeconds,
    writeSeconds,
  };
}

/** A folder we may replace: empty, or one this generator wrote. */
function isReplaceable(dir: string): boolean {
  return readdirSync(dir).length === 0 || existsSync(join(dir, "florence_edge.json"));
}

export function generateModel(opts: GenerateOptions): GenerateResult {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out = opts.outDir;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new Error(`${out} exists and is not a directory`);
    if (!opts.force && readdirSync(out).length > 0)
      throw new Error(`${out} already exists (use --force to replace it)`);
    if (!isReplaceable(out))
      throw new Error(`${out} is not a model folder written by this generator; refusing to replace it`);
  }
  const t0 = performance.now();
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    log(`generating ${opts.preset.name} (seed ${opts.seed}) into ${out}`);
    const graphs = writeModelFolder(tmp, opts.preset, opts.seed, log);
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(tmp, out);
    const seconds = secondsSince(t0);
    log(`done in ${seconds.toFixed(1)} s: ${mb(graphs.reduce((a, g) => a + g.bytes, 0))} of ONNX`);
    return {
      dir: out,
      preset: opts.preset.name,
      seed: opts.seed,
      generatorVersion: generatorVersion(),
      graphs,
      seconds,
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
