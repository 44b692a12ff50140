// A model folder in, a quantized model folder out: the four graphs quantized under the same file names (so the
// runtime needs no change beyond reading external data, which it already does), every other file copied, and a
// `quantization` record merged into florence_edge.json when the folder has one.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  externalRef,
  readModel,
  tensorTypeOf,
  walkGraphs,
  writeModel,
  type GraphProto,
  type WrittenFile,
} from "../onnx-graph";
import { DEFAULT_OPTIONS, type QuantOptions } from "./options";
import { quantizeModel, type ModelReport } from "./quantize-model";
import { visionGeometry } from "../model-splitter/split/roles";
import { addRangeBlocks, type RangeBlockOptions, type RangeBlockReport } from "./range-blocks";

export const GRAPH_FILES = [
  "vision_encoder.onnx",
  "embed_tokens.onnx",
  "encoder_model.onnx",
  "decoder_model_merged.onnx",
] as const;

export interface FileReport {
  file: string;
  bytesBefore: number;
  bytesAfter: number;
  written: WrittenFile[];
  seconds: number;
  report: ModelReport;
  /** vision_encoder.onnx only: the MatMuls given per-band activation ranges (range-blocks.ts). */
  rangeBlocks?: RangeBlockReport;
}

export interface FolderReport {
  inDir: string;
  outDir: string;
  options: QuantOptions;
  files: FileReport[];
  bytesBefore: number;
  bytesAfter: number;
}

/** Bytes of a model file plus the external data files it references. */
function modelBytes(path: string, graph: GraphProto, dir: string): number {
  const locations = new Set<string>();
  for (const v of walkGraphs(graph))
    for (const t of v.graph.initializer) {
      const ref = externalRef(t);
      if (ref) locations.add(ref.location);
    }
  return statSync(path).size + [...locations].reduce((a, l) => a + statSync(join(dir, l)).size, 0);
}

function signature(g: GraphProto): string {
  const io = (vs: GraphProto["input"]) => vs.map((v) => ({ name: v.name, type: tensorTypeOf(v) }));
  return JSON.stringify({ inputs: io(g.input), outputs: io(g.output) });
}

export function quantizeFolder(
  inDir: string,
  outDir: string,
  options: Partial<QuantOptions> = {},
  log: (line: string) => void = () => {},
): FolderReport {
  const opts: QuantOptions = { ...DEFAULT_OPTIONS, ...options };
  if (resolve(inDir) === resolve(outDir))
    throw new Error("--out must differ from --in (the fp32 files are read while writing)");
  const present = GRAPH_FILES.filter((f) => existsSync(join(inDir, "onnx", f)));
  if (present.length === 0) throw new Error(`${inDir}/onnx holds none of ${GRAPH_FILES.join(", ")}`);
  for (const f of GRAPH_FILES)
    if (!present.includes(f)) log(`warning: ${f} is missing from ${inDir}/onnx; skipped`);

  copyOtherFiles(inDir, outDir);
  mkdirSync(join(outDir, "onnx"), { recursive: true });
  const files: FileReport[] = [];
  for (const file of present) {
    const t0 = performance.now();
    const src = join(inDir, "onnx", file);
    const { model, load } = readModel(src);
    const before = modelBytes(src, model.graph!, join(inDir, "onnx"));
    const sig = signature(model.graph!);
    log(`${file}: quantizing`);
    // Column splitting is for one-row decoding GEMMs only (options.ts).
    const report = quantizeModel(model, opts.splitFiles.test(file) ? opts : { ...opts, splitAbove: 0 }, load);
    const rangeBlocks =
      file === "vision_encoder.onnx" && opts.rangeBlockMinHeight > 0
        ? rangeBlocksOrSkip(model.graph!, rangeBlockOptions(inDir, opts.rangeBlockMinHeight), load, log)
        : undefined;
    if (rangeBlocks)
      log(
        `${file}: ${rangeBlocks.matmuls} MatMuls with one activation range per band of rows (${Object.entries(
          rangeBlocks.blockRows,
        )
          .map(([h, r]) => `${h}-row maps: ${r.join("/")}-row bands`)
          .join(", ")})`,
      );
    if (signature(model.graph!) !== sig)
      throw new Error(`${file}: inputs or outputs changed (a quantizer bug)`);
    const dst = join(outDir, "onnx", file);
    const written = writeModel(dst, model, {
      load,
      ...(opts.externalData ? { externalData: { location: `${file}_data` } } : {}),
    });
    const after = written.reduce((a, w) => a + w.bytes, 0);
    const seconds = (performance.now() - t0) / 1000;
    log(
      `${file}: ${(before / 1e6).toFixed(2)} MB → ${(after / 1e6).toFixed(2)} MB (${((100 * after) / before).toFixed(1)}%) in ${seconds.toFixed(1)} s`,
    );
    files.push({ file, bytesBefore: before, bytesAfter: after, written, seconds, report, rangeBlocks });
  }
  const result: FolderReport = {
    inDir,
    outDir,
    options: opts,
    files,
    bytesBefore: files.reduce((a, f) => a + f.bytesBefore, 0),
    bytesAfter: files.reduce((a, f) => a + f.bytesAfter, 0),
  };
  recordInMetadata(outDir, result);
  return result;
}

/**
 * Per-band ranges need the DaViT structure and the map shapes; a vision graph the structure finder or the shape
 * evaluator does not understand (an export unlike onnx-community's) keeps per-map ranges — a slower split, never
 * a failed quantization. The model is untouched when this throws (the rewrite replaces nodes only at the end).
 */
function rangeBlocksOrSkip(
  graph: GraphProto,
  o: RangeBlockOptions,
  load: Parameters<typeof addRangeBlocks>[2],
  log: (line: string) => void,
): RangeBlockReport {
  try {
    return addRangeBlocks(graph, o, load);
  } catch (e) {
    log(`warning: vision_encoder.onnx keeps one activation range per map: ${(e as Error).message}`);
    return { matmuls: 0, blockRows: {} };
  }
}

/** What addRangeBlocks needs from the folder's config.json and preprocessor_config.json. */
function rangeBlockOptions(dir: string, minHeight: number): RangeBlockOptions {
  const json = (f: string) =>
    existsSync(join(dir, f))
      ? (JSON.parse(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>)
      : {};
  const { imageSize, windowSize, groups } = visionGeometry(
    json("config.json"),
    json("preprocessor_config.json"),
  );
  return { imageSize, windowSize, groups, minHeight };
}

/** Copies everything but the onnx/ folder (configs, tokenizer, florence_edge.json, ...). */
function copyOtherFiles(inDir: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const e of readdirSync(inDir, { withFileTypes: true })) {
    if (e.name === "onnx" && e.isDirectory()) continue;
    cpSync(join(inDir, e.name), join(outDir, e.name), { recursive: true });
  }
}

/** The `quantization` field of florence_edge.json: what the runtime and later tools may want to know. */
export function quantizationRecord(r: FolderReport) {
  return {
    mode: r.options.mode,
    tool: "florence-edge quant",
    weights: "int8, symmetric, one scale per output channel (zero point 0, range ±127)",
    matmul:
      "com.microsoft DynamicQuantizeMatMul (activations uint8, dynamic: one range per tensor, per band of rows in the DaViT maps of range_blocks)",
    conv:
      r.options.conv === "dequantize"
        ? "DequantizeLinear (int8, per output channel) + Conv; grouped convs fp32"
        : "fp32",
    embeddings: r.options.embeddings ? "int8 rows + per-row fp32 scales (Gather, Gather, Cast, Mul)" : "fp32",
    external_data: r.options.externalData,
    min_elements: r.options.minElements,
    split_columns:
      r.options.splitAbove > 0
        ? {
            above: r.options.splitAbove,
            block: r.options.splitBlock,
            form: r.options.splitForm,
            files: r.options.splitFiles.source,
          }
        : null,
    exclude: r.options.exclude.map((x) => x.source),
    // Per-band activation ranges in the vision encoder's largest DaViT maps (quant/range-blocks.ts).
    range_blocks:
      r.options.rangeBlockMinHeight > 0
        ? {
            min_height: r.options.rangeBlockMinHeight,
            matmuls: r.files.find((f) => f.rangeBlocks)?.rangeBlocks?.matmuls ?? 0,
            block_rows: r.files.find((f) => f.rangeBlocks)?.rangeBlocks?.blockRows ?? {},
          }
        : null,
    files: Object.fromEntries(
      r.files.map((f) => [
        `onnx/${f.file}`,
        {
          bytes: f.bytesAfter,
          fp32_bytes: f.bytesBefore,
          data_files: f.written.slice(1).map((w) => w.path.split("/").pop()),
        },
      ]),
    ),
  };
}

function recordInMetadata(outDir: string, r: FolderReport): void {
  const path = join(outDir, "florence_edge.json");
  if (!existsSync(path)) return;
  const meta = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  meta.quantization = { ...quantizationRecord(r), weights_digest: weightsDigest(r) };
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * SHA-256 over every written graph and data file, in file order: the model version (and so every cache key
 * derived from it, runtime/model-folder.ts) changes whenever the quantized weights change — a new quantizer
 * or new options over the same fp32 model included.
 */
function weightsDigest(r: FolderReport): string {
  const h = createHash("sha256");
  for (const f of r.files)
    for (const w of f.written) {
      h.update(w.path.split("/").pop()!);
      h.update("\0");
      h.update(readFileSync(w.path));
    }
  return h.digest("hex");
}
