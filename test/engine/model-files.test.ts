// Finding and loading a graph's external data: locations read from the protobuf bytes must be exactly the
// files onnx-graph's writer produced (inline, one data file, several chunked data files).
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { externalDataLocations } from "../../runtime/engine/external-data";
import { graphPath, loadGraphBytes } from "../../runtime/engine/model-files";
import { writeModel } from "../../onnx-graph";
import { fileLoader } from "../../runtime-node/load-file";
import { matmulChainModel, writeMatMulChain } from "./toy-matmul";

const shape = { rows: 2, width: 32, layers: 3 }; // three 4 KB weights

describe("externalDataLocations", () => {
  const dir = mkdtempSync(join(tmpdir(), "engine-files-"));

  it.each([
    ["inline", undefined],
    ["one data file", { threshold: 1024 }],
    ["chunked data files", { threshold: 1024, maxFileBytes: 4096 }],
  ] as const)("%s: lists exactly the data files the writer wrote", (label, externalData) => {
    const path = join(dir, `${label.replaceAll(" ", "-")}.onnx`);
    const written = writeModel(path, matmulChainModel(shape), externalData ? { externalData } : {});
    const dataFiles = written.map((w) => basename(w.path)).filter((f) => f !== basename(path));
    expect(externalDataLocations(new Uint8Array(readFileSync(path)))).toEqual(dataFiles);
    if (label === "chunked data files") expect(dataFiles.length).toBe(3);
  });

  it("rejects bytes that are not protobuf", () => {
    expect(() => externalDataLocations(Uint8Array.of(0x0f, 1, 2))).toThrow(/wire type/);
  });
});

describe("loadGraphBytes", () => {
  it("loads the model and its data files relative to the model's folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-files-"));
    const onnxDir = join(dir, "onnx");
    mkdirSync(onnxDir);
    writeMatMulChain(join(onnxDir, "embed_tokens_q4.onnx"), shape);
    const requested: string[] = [];
    const load = fileLoader(dir);
    const g = await loadGraphBytes("embed_tokens", (p) => (requested.push(p), load(p)), { suffix: "_q4" });
    expect(requested).toEqual(["onnx/embed_tokens_q4.onnx", "onnx/embed_tokens_q4.onnx_data"]);
    expect(g.externalData.map((e) => [e.path, e.data.length])).toEqual([
      ["embed_tokens_q4.onnx_data", 3 * 32 * 32 * 4],
    ]);
    expect(graphPath("vision_encoder", { files: { vision_encoder: "x/v.onnx" } })).toBe("x/v.onnx");
  });
});
