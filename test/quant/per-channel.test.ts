// The per-channel quantizer against onnxruntime's own QuantizeLinear (per-axis, int8, zero point 0): the same
// scales must give the same integers; and the scales against their definition, max |w| / 127 per channel.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { DataType, GraphBuilder, makeModel, Random } from "../../onnx-graph";
import { dequantizeInt8, quantizeInt8, roundHalfEven } from "../../quant/per-channel";
import { toBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "../../onnx-graph";

async function ortQuantizeLinear(
  w: Float32Array,
  dims: [number, number],
  scales: Float32Array,
  axis: 0 | 1,
): Promise<Int8Array> {
  const g = new GraphBuilder("q");
  g.input("w", DataType.FLOAT, dims);
  g.input("s", DataType.FLOAT, [scales.length]);
  g.initializer("zp", new Int8Array(scales.length), [scales.length]);
  g.op("QuantizeLinear", ["w", "s", "zp"], { axis }, { output: "q" });
  g.output("q", DataType.INT8, dims);
  const session = await ort.InferenceSession.create(
    toBinary(ModelProtoSchema, makeModel(g.build(), { opsets: { "": 13 } })),
  );
  const r = await session.run({
    w: new ort.Tensor("float32", w, dims),
    s: new ort.Tensor("float32", scales, [scales.length]),
  });
  await session.release();
  return r.q!.data as Int8Array;
}

function weights(rows: number, cols: number, seed: number): Float32Array {
  const w = new Random(seed).normalArray(rows * cols, 0.05);
  // Exact ties (±0.5 steps) and an all-zero channel exercise rounding and the zero-scale guard.
  for (let r = 0; r < rows; r++) w[r * cols] = 0;
  // Column 2 and row rows-2 get max 127·2⁻⁷ (scale exactly 2⁻⁷) and values at 2.5 and 3.5 steps: exact ties.
  const step = 2 ** -7;
  w[(rows - 1) * cols + 2] = 127 * step;
  w[cols + 2] = 2.5 * step;
  w[2 * cols + 2] = 3.5 * step;
  w[3 * cols + 2] = -2.5 * step;
  w[(rows - 2) * cols + 4] = 127 * step;
  w[(rows - 2) * cols + 5] = 2.5 * step;
  w[(rows - 2) * cols + 6] = 3.5 * step;
  return w;
}

describe("quantizeInt8", () => {
  it.each([
    [1, "per column (MatMul weight, in × out)"],
    [0, "per row (embedding table)"],
  ] as const)(
    "axis %i, %s: same integers as onnxruntime QuantizeLinear with the same scales",
    async (axis: 0 | 1, _what: string) => {
      const rows = 37;
      const cols = 53;
      const w = weights(rows, cols, 11 + axis);
      const { q, scales } = quantizeInt8(w, rows, cols, axis);
      const expected = await ortQuantizeLinear(w, [rows, cols], scales, axis);
      expect(Array.from(q)).toEqual(Array.from(expected));
      // The ties were really ties, rounded to even.
      const tie =
        axis === 1
          ? [q[cols + 2], q[2 * cols + 2], q[3 * cols + 2]]
          : [q[(rows - 2) * cols + 5], q[(rows - 2) * cols + 6]];
      expect(tie).toEqual(axis === 1 ? [2, 4, -2] : [2, 4]);
    },
  );

  it("scales are max |w| / 127 per channel, 1 for an all-zero channel, and |q| ≤ 127", () => {
    const rows = 9;
    const cols = 8;
    const w = weights(rows, cols, 3);
    const { q, scales } = quantizeInt8(w, rows, cols, 1);
    for (let c = 0; c < cols; c++) {
      let m = 0;
      for (let r = 0; r < rows; r++) m = Math.max(m, Math.abs(w[r * cols + c]!));
      expect(scales[c]).toBe(m === 0 ? 1 : Math.fround(m / 127));
    }
    expect(scales[0]).toBe(1); // column 0 was zeroed
    expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
  });

  it("reconstruction error is at most half a step per element", () => {
    const rows = 64;
    const cols = 48;
    const w = weights(rows, cols, 5);
    const p = quantizeInt8(w, rows, cols, 0);
    const back = dequantizeInt8(p, rows, cols, 0);
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(p.scales[Math.floor(i / cols)]! * 0.5 + 1e-9);
  });

  it("rounds half to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3,
    ]);
  });
});
