// The quantizer on the shared tiny synthetic Florence-2 (real architecture and export patterns): the output
// folder is a drop-in replacement (same files, same inputs/outputs, loads in onnxruntime-node), its weights
// are int8 on disk, its outputs stay close to the fp32 model's, and the merged decoder's shared weights are
// quantized once. References are the fp32 model run through the same onnxruntime-node glue.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DataType,
  dimsOf,
  readModel,
  tensorByteLength,
  tensorBytes,
  tensorTypeOf,
  walkGraphs,
  walkNodes,
  writeModel,
  type GraphProto,
} from "../../onnx-graph";
import { GRAPH_FILES, quantizeFolder, type FolderReport } from "../../quant/quantize-folder";
import {
  argmaxLast,
  decoderStep,
  encode,
  loadSessions,
  type Cache,
  type FlorenceSessions,
} from "../helpers/florence-ort";
import { normalizeToChw, testPicture } from "../helpers/test-image";
import { readJson, tinyModelDir } from "../helpers/tiny-model";
import { cosine } from "../../bench/quant/stats";

const io = (g: GraphProto) => ({
  inputs: g.input.map((v) => [v.name, tensorTypeOf(v)]),
  outputs: g.output.map((v) => [v.name, tensorTypeOf(v)]),
});

function initializerBytes(g: GraphProto): Record<string, number> {
  const by: Record<string, number> = {};
  for (const v of walkGraphs(g))
    for (const t of v.graph.initializer)
      by[DataType[t.dataType]!] = (by[DataType[t.dataType]!] ?? 0) + tensorByteLength(t);
  return by;
}

describe("quant on the tiny synthetic Florence-2", () => {
  let fp32Dir: string;
  let outDir: string;
  let report: FolderReport;
  let ref: FlorenceSessions;
  let q: FlorenceSessions;

  beforeAll(async () => {
    fp32Dir = tinyModelDir();
    outDir = mkdtempSync(join(tmpdir(), "quant-tiny-"));
    report = quantizeFolder(fp32Dir, outDir);
    [ref, q] = await Promise.all([loadSessions(fp32Dir), loadSessions(outDir)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ref?.release(), q?.release()]);
  });

  it("writes the four graphs under their names with external data, and copies every other file unchanged", () => {
    for (const f of GRAPH_FILES) {
      expect(existsSync(join(outDir, "onnx", f))).toBe(true);
      expect(statSync(join(outDir, "onnx", `${f}_data`)).size).toBeGreaterThan(0);
    }
    for (const e of readdirSync(fp32Dir, { withFileTypes: true })) {
      if (e.isDirectory() || e.name === "florence_edge.json") continue;
      expect(readFileSync(join(outDir, e.name)).equals(readFileSync(join(fp32Dir, e.name))), e.name).toBe(
        true,
      );
    }
    const meta = readJson<
      Record<string, unknown> & { quantization?: { mode: string; files: Record<string, { bytes: number }> } }
    >(outDir, "florence_edge.json");
    const before = readJson<Record<string, unknown>>(fp32Dir, "florence_edge.json");
    expect({ ...meta, quantization: undefined }).toEqual({ ...before, quantization: undefined });
    expect(meta.quantization?.mode).toBe("int8");
    expect(Object.keys(meta.quantization!.files).sort()).toEqual(GRAPH_FILES.map((f) => `onnx/${f}`).sort());
  });

  it("keeps every graph's inputs and outputs (names, element types, shapes) and loads in onnxruntime-node", () => {
    for (const f of GRAPH_FILES) {
      expect(io(readModel(join(outDir, "onnx", f)).model.graph!), f).toEqual(
        io(readModel(join(fp32Dir, "onnx", f)).model.graph!),
      );
    }
    for (const k of ["vision", "embed", "encoder", "decoder"] as const) {
      expect(q[k].inputNames).toEqual(ref[k].inputNames);
      expect(q[k].outputNames).toEqual(ref[k].outputNames);
    }
  });

  it("stores the weights int8: no MatMul/Gemm/dense Conv reads a large fp32 constant, and the int8 bytes are on disk", () => {
    for (const f of GRAPH_FILES) {
      const { model } = readModel(join(outDir, "onnx", f));
      const g = model.graph!;
      const fp32 = new Map<string, number>();
      for (const v of walkGraphs(g))
        for (const t of v.graph.initializer)
          if (t.dataType === DataType.FLOAT)
            fp32.set(
              t.name,
              dimsOf(t).reduce((a, b) => a * b, 1),
            );
      for (const { node } of walkNodes(g)) {
        const isDenseConv =
          node.opType === "Conv" && !node.attribute.some((a) => a.name === "group" && Number(a.i) !== 1);
        if (["MatMul", "Gemm"].includes(node.opType) || isDenseConv) {
          const w = fp32.get(node.input[1]!) ?? 0;
          expect(w, `${f}: ${node.name} reads fp32 ${node.input[1]}`).toBeLessThan(
            report.options.minElements,
          );
        }
      }
      const bytes = initializerBytes(g);
      const fileReport = report.files.find((x) => x.file === f)!;
      // Every quantized element is one int8 byte in the file (plus nothing else int8).
      expect(bytes.INT8, f).toBe(fileReport.report.quantized.elements);
      expect(statSync(join(outDir, "onnx", `${f}_data`)).size).toBeGreaterThanOrEqual(bytes.INT8!);
      expect(fileReport.bytesAfter).toBeLessThan(fileReport.bytesBefore * 0.6);
    }
    // The token table is the whole of embed_tokens: ≈ 1/4 of fp32 plus per-row scales.
    const embed = report.files.find((x) => x.file === "embed_tokens.onnx")!;
    expect(embed.bytesAfter / embed.bytesBefore).toBeLessThan(0.28);
  });

  it("quantizes the merged decoder's shared weights once, in the outer graph, read by both branches", () => {
    const before = readModel(join(fp32Dir, "onnx", "decoder_model_merged.onnx")).model.graph!;
    const after = readModel(join(outDir, "onnx", "decoder_model_merged.onnx"));
    const g = after.model.graph!;
    // Independent count from the fp32 file: distinct outer initializers that some MatMul reads as its weight.
    const outer = new Map(before.initializer.map((t) => [t.name, t]));
    const matmulWeights = new Set<string>();
    for (const { node } of walkNodes(before))
      if (node.opType === "MatMul" && outer.has(node.input[1]!)) matmulWeights.add(node.input[1]!);
    const int8 = g.initializer.filter((t) => t.dataType === DataType.INT8);
    expect(int8.length).toBe(matmulWeights.size);
    // Nothing int8 inside the branches, and no two int8 tensors with the same bytes.
    const branches = [...walkGraphs(g)].slice(1);
    expect(branches.length).toBe(2);
    for (const b of branches)
      expect(b.graph.initializer.filter((t) => t.dataType === DataType.INT8)).toEqual([]);
    const hashes = new Set(
      int8.map((t) => createHash("sha256").update(tensorBytes(t, after.load)).digest("hex")),
    );
    expect(hashes.size).toBe(int8.length);
    // A weight both branches used (the lm_head) is read by a quantized node in each branch.
    const readers = (graph: GraphProto, name: string) =>
      graph.node.filter((n) => n.input.includes(name)).length;
    const inBoth = int8.filter((t) => branches.every((b) => readers(b.graph, t.name) > 0));
    expect(inBoth.length).toBeGreaterThan(int8.length / 2);
  });

  it("splits weights into column blocks in the decoder only (splitFiles); every split ends in one Concat of its blocks", () => {
    const dir = mkdtempSync(join(tmpdir(), "quant-tiny-split-"));
    const r = quantizeFolder(fp32Dir, dir, { splitAbove: 16, splitBlock: 16 });
    const splits = Object.fromEntries(
      r.files.map((f) => [f.file, f.report.rewrites["column-split MatMul"] ?? 0]),
    );
    expect(splits["decoder_model_merged.onnx"]).toBeGreaterThan(0);
    for (const f of GRAPH_FILES.filter((x) => !x.includes("decoder"))) expect(splits[f], f).toBe(0);
    const concats = [
      ...walkNodes(readModel(join(dir, "onnx", "decoder_model_merged.onnx")).model.graph!),
    ].filter(
      ({ node }) =>
        node.opType === "Concat" && node.input.length > 1 && node.input.every((i) => i.includes("_cols")),
    );
    expect(concats.length).toBe(splits["decoder_model_merged.onnx"]);
  });

  it("gives the same files from an fp32 folder whose weights are external data", () => {
    // The fp32 folder rewritten with external data (as large exports are), then quantized again.
    const extIn = mkdtempSync(join(tmpdir(), "quant-ext-in-"));
    cpSync(fp32Dir, extIn, { recursive: true });
    for (const f of GRAPH_FILES) {
      const path = join(extIn, "onnx", f);
      const { model } = readModel(path);
      writeModel(path, model, { externalData: { location: `${f}.weights` } });
    }
    const extOut = mkdtempSync(join(tmpdir(), "quant-ext-out-"));
    quantizeFolder(extIn, extOut);
    for (const f of GRAPH_FILES) {
      for (const suffix of ["", "_data"]) {
        const a = readFileSync(join(outDir, "onnx", f + suffix));
        const b = readFileSync(join(extOut, "onnx", f + suffix));
        expect(b.equals(a), f + suffix).toBe(true);
      }
    }
  });

  it("stays close to fp32: image_features, encoder states and decoder logits; greedy tokens agree", async () => {
    const size =
      readJson<{ size?: { height: number } }>(fp32Dir, "preprocessor_config.json").size?.height ?? 768;
    const pixels = new ort.Tensor("float32", normalizeToChw(testPicture(size, size), size), [
      1,
      3,
      size,
      size,
    ]);
    const img = async (s: FlorenceSessions) =>
      (await s.vision.run({ pixel_values: pixels })).image_features!.data as Float32Array;
    expect(cosine(await img(q), await img(ref))).toBeGreaterThan(0.999);

    const prompt = [0, 100, 200, 300, 400, 2];
    const [er, eq] = [await encode(ref, pixels, prompt), await encode(q, pixels, prompt)];
    expect(cosine(eq.hidden.data as Float32Array, er.hidden.data as Float32Array)).toBeGreaterThan(0.995);

    // Both decoders follow the fp32 model's tokens (teacher forcing), so every step's logits are comparable;
    // the quantized model's own greedy choice is compared at each step.
    const ids = [2];
    let cr: Cache | undefined;
    let cq: Cache | undefined;
    let agree = 0;
    const steps = 10;
    for (let i = 0; i < steps; i++) {
      const sr = await decoderStep(ref, er, ids, cr);
      const sq = await decoderStep(q, eq, ids, cq);
      expect(
        cosine(sq.logits.data as Float32Array, sr.logits.data as Float32Array),
        `step ${i}`,
      ).toBeGreaterThan(0.995);
      if (argmaxLast(sq.logits) === argmaxLast(sr.logits)) agree++;
      ids.push(argmaxLast(sr.logits));
      [cr, cq] = [sr.cache, sq.cache];
    }
    expect(agree).toBeGreaterThanOrEqual(steps - 1);
  }, 60_000);
});
