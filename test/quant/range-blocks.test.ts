// Per-band activation ranges (quant/range-blocks.ts): the rewritten MatMul must compute, block by block, what
// one DynamicQuantizeMatMul computes on that block alone (checked with onnxruntime-node against the plain op run
// on each block separately), the quantizer must apply it to tiny's DaViT stages 0–1 only (maps of 192 and 96
// rows) with the blocks the splitter bands them in, and the model splitter must see the one op it replaced.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { collapseRangeBlocks, RANGE_BLOCK_TAG } from "../../model-splitter/davit/range-blocks";
import {
  DataType,
  GraphBuilder,
  makeModel,
  ModelProtoSchema,
  Random,
  readModel,
  type ModelProto,
} from "../../onnx-graph";
import { quantizeFolder } from "../../quant/quantize-folder";
import { quantizeModel } from "../../quant/quantize-model";
import { rangeBlockNodes } from "../../quant/range-blocks";
import { tinyModelDir } from "../helpers/tiny-model";

const K = 48;
const N = 32;
const rnd = new Random(5);
const tmp = mkdtempSync(join(tmpdir(), "range-blocks-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** x [rows, 6, K] → Linear (int8 DynamicQuantizeMatMul with bias), as the quantizer makes it. */
function linear(rows: number): ModelProto {
  const g = new GraphBuilder("linear");
  g.input("x", DataType.FLOAT, [rows, 6, K]);
  const y = g.op("MatMul", ["x", g.initializer("w", rnd.fork("w").normalArray(K * N, 0.1), [K, N])]);
  g.op("Add", [y, g.initializer("b", rnd.fork("b").normalArray(N, 0.1), [N])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [rows, 6, N]);
  const m = makeModel(g.build(), { opsets: { "": 14 } });
  quantizeModel(m);
  return m;
}

async function run(model: ModelProto, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(toBinary(ModelProtoSchema, model));
  const r = await s.run({ x: new ort.Tensor("float32", x, dims) });
  await s.release();
  return r.y!.data as Float32Array;
}

describe("range blocks", () => {
  it("each block of rows is quantized with its own range: equal to the plain op run on each block alone", async () => {
    const rows = 4;
    const x = rnd.fork("x").normalArray(rows * 6 * K, 1);
    // The second half of the rows spans a 10× wider range: one whole-tensor range would blur the first half.
    for (let i = (x.length / 2) | 0; i < x.length; i++) x[i]! *= 10;
    const blocked = linear(rows);
    const g = blocked.graph!;
    const mm = g.node.find((n) => n.opType === "DynamicQuantizeMatMul")!;
    g.node = g.node.flatMap((n) => (n === mm ? rangeBlockNodes(g, n, 2, K, N) : [n]));
    expect(g.node.filter((n) => n.opType === "DynamicQuantizeMatMul")).toHaveLength(2);

    const y = await run(blocked, x, [rows, 6, K]);
    const half = (rows / 2) * 6 * K;
    const plain = linear(rows / 2);
    const ref = new Float32Array(y.length);
    ref.set(await run(plain, x.slice(0, half), [rows / 2, 6, K]), 0);
    ref.set(await run(plain, x.slice(half), [rows / 2, 6, K]), (rows / 2) * 6 * N);
    expect(Array.from(y)).toEqual(Array.from(ref));

    const whole = await run(linear(rows), x, [rows, 6, K]);
    const firstHalf = (a: Float32Array) => Array.from(a.subarray(0, (rows / 2) * 6 * N));
    expect(firstHalf(whole)).not.toEqual(firstHalf(y));
  });

  it("tiny: DaViT stages 0–1 get blocks of the rows the splitter bands them in; the splitter sees the original ops", () => {
    const out = join(tmp, "int8");
    const report = quantizeFolder(tinyModelDir(), out, {});
    const vision = report.files.find((f) => f.file === "vision_encoder.onnx")!;
    // Stage 1: window attention (qkv, proj), two MLPs (fc1, fc2 each), channel attention (qkv, proj); stage 0
    // (16 channels) only its MLPs: its attention weights are below the quantizer's 1024 elements.
    expect(vision.rangeBlocks?.matmuls).toBe(12);
    // One window row (12) everywhere; channel attention's qᵀk K block (512 tokens at tiny's 32-channel
    // groups on 96-token rows) makes its bands 48 rows.
    expect(vision.rangeBlocks?.blockRows).toEqual({ 192: [12], 96: [12, 48] });
    const meta = JSON.parse(readFileSync(join(out, "florence_edge.json"), "utf8"));
    expect(meta.quantization.range_blocks).toMatchObject({ min_height: 96, matmuls: 12 });

    const { model } = readModel(join(out, "onnx", "vision_encoder.onnx"));
    const g = model.graph!;
    const tagged = g.node.filter((n) => n.name.includes(RANGE_BLOCK_TAG));
    const { graph, blocks, origin } = collapseRangeBlocks(g);
    expect(blocks.size).toBe(12);
    // Blocks per map: 192/12 = 16 (stage 0's four), 96/12 = 8 (stage 1's six), 96/48 = 2 (its channel attention).
    expect([...blocks.values()].sort((a, b) => a - b)).toEqual([2, 2, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16]);
    expect([...origin.values()].flat()).toHaveLength(tagged.length);
    expect(graph.node).toHaveLength(g.node.length - tagged.length + 12);
    // Collapsed ops read the original input and write the original output.
    const names = new Set(g.node.flatMap((n) => n.output));
    for (const op of blocks.keys()) {
      expect(op.opType).toBe("DynamicQuantizeMatMul");
      expect(names.has(op.output[0]!)).toBe(true);
    }

    const off = quantizeFolder(tinyModelDir(), join(tmp, "off"), { rangeBlockMinHeight: 0 });
    expect(off.files.find((f) => f.file === "vision_encoder.onnx")!.rangeBlocks).toBeUndefined();
  });

  it("a vision graph it cannot plan keeps per-map ranges, with a warning, and the quantization succeeds", () => {
    // Without the channel-attention groups in config.json the block rows of channel attention are unknown.
    const src = join(tmp, "no-groups");
    cpSync(tinyModelDir(), src, { recursive: true });
    const config = JSON.parse(readFileSync(join(src, "config.json"), "utf8"));
    delete config.vision_config.num_groups;
    delete config.vision_config.num_heads;
    writeFileSync(join(src, "config.json"), JSON.stringify(config));
    const lines: string[] = [];
    const report = quantizeFolder(src, join(tmp, "no-groups-int8"), {}, (l) => lines.push(l));
    expect(report.files.find((f) => f.file === "vision_encoder.onnx")!.rangeBlocks?.matmuls).toBe(0);
    expect(lines.some((l) => /warning: vision_encoder.onnx keeps one activation range per map/.test(l))).toBe(
      true,
    );
    const g = readModel(join(tmp, "no-groups-int8", "onnx", "vision_encoder.onnx")).model.graph!;
    expect(g.node.some((n) => n.name.includes(RANGE_BLOCK_TAG))).toBe(false);
    expect(g.initializer.some((t) => t.name.includes(RANGE_BLOCK_TAG))).toBe(false);
    const off = readModel(join(tmp, "off", "onnx", "vision_encoder.onnx")).model.graph!;
    expect(g.node.map((n) => n.opType)).toEqual(off.node.map((n) => n.opType));
  });
});
