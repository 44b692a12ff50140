// Which files of an onnx-community repo make the model folder, and how progress is written.
import { describe, expect, it } from "vitest";
import {
  createProgressLog,
  HubNotFoundError,
  isWanted,
  planFiles,
  type FetchEvent,
  type RemoteFile,
} from "../../model-fetch";
import { toRemoteFile } from "../../model-fetch/files";
import { MODEL_FOLDER_FILES } from "./model-folder-files";

/** Paths as transformers.js names variants (REFERENCE.md §2) plus optimum's unmerged decoders. */
const VARIANTS = ["", "_fp16", "_quantized", "_int8", "_uint8", "_q4", "_q4f16", "_bnb4"];
const GRAPHS = [
  "vision_encoder",
  "embed_tokens",
  "encoder_model",
  "decoder_model_merged",
  "decoder_model",
  "decoder_with_past_model",
];
const CONFIGS = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "added_tokens.json",
  "special_tokens_map.json",
  "README.md",
  ".gitattributes",
];

function listing(extra: string[] = []): RemoteFile[] {
  const paths = [...CONFIGS, ...GRAPHS.flatMap((g) => VARIANTS.map((v) => `onnx/${g}${v}.onnx`)), ...extra];
  return paths.map((path, i) => ({ path, size: 100 + i, sha256: i.toString(16).padStart(64, "0") }));
}

describe("planFiles", () => {
  it("takes the configs, the tokenizer and the four fp32 graphs, not the variants or unmerged decoders", () => {
    const plan = planFiles(listing(), "r", "main");
    expect(plan.files.map((f) => f.path).sort()).toEqual([...MODEL_FOLDER_FILES].sort());
    expect(plan.missingOptional).toEqual([]);
  });

  it("adds the external-data files of the chosen graphs only", () => {
    const extra = [
      "onnx/vision_encoder.onnx_data",
      "onnx/vision_encoder.onnx_data_1",
      "onnx/vision_encoder_fp16.onnx_data",
      "onnx/decoder_model.onnx_data",
      "onnx/vision_encoder.onnx_data_x",
    ];
    const plan = planFiles(listing(extra), "r", "main");
    expect(plan.files.map((f) => f.path).filter((p) => p.includes("_data"))).toEqual([
      "onnx/vision_encoder.onnx_data",
      "onnx/vision_encoder.onnx_data_1",
    ]);
    expect(isWanted("vision_encoder.onnx")).toBe(false); // graphs live under onnx/
  });

  it("names every missing required file and reports missing optional ones", () => {
    const noTokenizer = listing().filter(
      (f) => f.path !== "tokenizer.json" && f.path !== "onnx/embed_tokens.onnx",
    );
    expect(() => planFiles(noTokenizer, "o/r", "v1")).toThrow(HubNotFoundError);
    expect(() => planFiles(noTokenizer, "o/r", "v1")).toThrow(
      "o/r@v1 lacks required files tokenizer.json, onnx/embed_tokens.onnx",
    );
    const noAdded = listing().filter((f) => f.path !== "added_tokens.json");
    expect(planFiles(noAdded, "o/r", "v1").missingOptional).toEqual(["added_tokens.json"]);
  });

  it("checks LFS files against the LFS sha256 and size, others against the git oid", () => {
    const lfs = toRemoteFile({
      type: "file",
      path: "onnx/x.onnx",
      size: 5,
      oid: "a".repeat(40),
      lfs: { oid: "b".repeat(64), size: 5, pointerSize: 130 },
    });
    expect(lfs).toEqual({ path: "onnx/x.onnx", size: 5, sha256: "b".repeat(64) });
    expect(toRemoteFile({ type: "file", path: "config.json", size: 9, oid: "c".repeat(40) })).toEqual({
      path: "config.json",
      size: 9,
      gitOid: "c".repeat(40),
    });
    // Never compare content against a pointer's oid.
    expect(
      toRemoteFile({
        type: "file",
        path: "onnx/y.onnx",
        size: 7,
        oid: "d".repeat(40),
        xetHash: "e".repeat(64),
      }),
    ).toEqual({ path: "onnx/y.onnx", size: 7 });
  });
});

describe("createProgressLog", () => {
  it("writes plain lines with percentage, rate and ETA, at most once per interval", () => {
    const lines: string[] = [];
    let t = 0;
    const log = createProgressLog({ write: (l) => lines.push(l), intervalMs: 1000, now: () => t });
    const file = { path: "onnx/big.onnx", size: 4096 * 1024 };
    const events: FetchEvent[] = [
      { type: "file-skip", path: "config.json", size: 10, why: "verified earlier" },
      {
        type: "plan",
        repo: "o/r",
        revision: "main",
        hubUrl: "http://hub",
        dest: "/d",
        files: [file],
        missingOptional: ["added_tokens.json"],
        toDownload: file.size,
      },
      { type: "file-start", path: file.path, size: file.size, resumeFrom: 0 },
    ];
    for (const e of events) log(e);
    // 1 MiB per second for 2 s, in 4 chunks per second.
    for (let i = 1; i <= 8; i++) {
      t = i * 250;
      log({
        type: "progress",
        path: file.path,
        fileDone: i * 256 * 1024,
        fileSize: file.size,
        chunk: 256 * 1024,
      });
    }
    log({
      type: "file-done",
      path: file.path,
      size: file.size,
      downloaded: 2 << 20,
      seconds: 2,
      check: "sha256",
    });
    expect(lines).toEqual([
      "model-fetch: o/r@main from http://hub into /d: 1 file, 4.0 MiB, 4.0 MiB to download",
      "  1 file (10 B) verified by an earlier run",
      "  (optional, not in the repo: added_tokens.json)",
      "  onnx/big.onnx: downloading 4.0 MiB",
      "  [ 25.0%] 1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 3 s  (onnx/big.onnx 25%)",
      "  [ 50.0%] 2.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 2 s  (onnx/big.onnx 50%)",
      "  onnx/big.onnx: done, 2.0 MiB in 2.0 s (1.0 MiB/s), sha256 ok",
    ]);
  });
});
