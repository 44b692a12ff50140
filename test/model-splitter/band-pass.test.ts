// The runtime side of a band pass, on hand-made maps: which input rows a band reads, how rows beyond the map
// are filled and masked (tokens and NCHW layouts), and how statistics are reduced over bands.
import { describe, expect, it } from "vitest";
import type { BandPass } from "../../model-splitter/manifest";
import { extractBand, inputRows, runBandPass } from "../../runtime/engine/staged/band-pass";
import type { InferenceSession, TensorConstructor } from "../../runtime/engine/ort-types";

function pass(over: Partial<BandPass>): BandPass {
  return {
    kind: "band",
    graph: "g",
    input: "x",
    layout: "tokens",
    inHeight: 4,
    inWidth: 2,
    inChannels: 3,
    outHeight: 4,
    outWidth: 2,
    rowMap: { stride: 1, kernel: 3, pad: 1 },
    bands: [[0, 4]],
    stats: [],
    output: { kind: "map", name: "y", channels: 3 },
    drop: [],
    ...over,
  };
}

/** Map value = 100·row + 10·column + channel (tokens layout [H·W, C]). */
function tokensMap(H: number, W: number, C: number): Float32Array {
  const m = new Float32Array(H * W * C);
  for (let r = 0; r < H; r++)
    for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) m[(r * W + w) * C + c] = 100 * r + 10 * w + c;
  return m;
}

describe("band pass", () => {
  it("input rows follow the conv's stride, kernel and padding", () => {
    expect(inputRows(pass({}), 0, 2)).toEqual([-1, 3]); // 3×3 depthwise: one halo row each side
    expect(inputRows(pass({ rowMap: { stride: 4, kernel: 7, pad: 3 } }), 2, 4)).toEqual([5, 16]); // stage-0 patch embedding: rows 2 and 3 read [5, 12) and [9, 16)
    expect(inputRows(pass({ rowMap: { stride: 2, kernel: 3, pad: 1 } }), 0, 3)).toEqual([-1, 6]);
    expect(inputRows(pass({ rowMap: { stride: 1, kernel: 1, pad: 0 } }), 1, 3)).toEqual([1, 3]);
  });

  it("rows beyond the map are zeros with mask 0 (tokens layout)", () => {
    const p = pass({});
    const map = tokensMap(4, 2, 3);
    const { band, mask } = extractBand(p, map, -1, 2);
    expect(band.dims).toEqual([1, 6, 3]);
    expect(Array.from(mask.data as Float32Array)).toEqual([0, 1, 1]);
    const d = band.data as Float32Array;
    expect(Array.from(d.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(d.subarray(6, 12))).toEqual([0, 1, 2, 10, 11, 12]); // row 0
    expect(Array.from(d.subarray(12, 18))).toEqual([100, 101, 102, 110, 111, 112]); // row 1
    // Reusing a buffer that held other values gives the same band.
    const reused = extractBand(p, map, 3, 5, new Float32Array(100).fill(7)).band.data as Float32Array;
    expect(Array.from(reused)).toEqual([300, 301, 302, 310, 311, 312, 0, 0, 0, 0, 0, 0]);
  });

  it("NCHW bands take the rows of every channel", () => {
    const p = pass({ layout: "nchw", inChannels: 2, inHeight: 3, inWidth: 2 });
    // [1, C=2, H=3, W=2]: value = 100·c + 10·row + col
    const map = Float32Array.from(
      { length: 12 },
      (_, i) => 100 * Math.floor(i / 6) + 10 * Math.floor((i % 6) / 2) + (i % 2),
    );
    const { band, mask } = extractBand(p, map, 2, 4);
    expect(band.dims).toEqual([1, 2, 2, 2]);
    expect(Array.from(band.data as Float32Array)).toEqual([20, 21, 0, 0, 120, 121, 0, 0]);
    expect(Array.from(mask.data as Float32Array)).toEqual([1, 0]);
  });

  it("writes each band's rows into the output map and reduces statistics over bands", async () => {
    // A fake session: band_out = band rows without halo ×2; minmax partial of the band; sum partial = 2 blocks.
    const Tensor = class {
      constructor(
        readonly type: string,
        readonly data: Float32Array,
        readonly dims: number[],
      ) {}
    } as unknown as TensorConstructor;
    const calls: number[][] = [];
    const session = (out: "map" | "minmax" | "sum") =>
      ({
        inputNames: ["band_in", "band_mask"],
        run: async (feeds: Record<string, { data: Float32Array; dims: number[] }>) => {
          const x = feeds.band_in!.data;
          const rows = feeds.band_mask!.dims[0]!;
          calls.push([rows]);
          const inner = x.subarray(6, x.length - 6); // drop one halo row (W·C = 6) each side
          if (out === "map")
            return {
              band_out: { type: "float32", dims: [1, inner.length / 3, 3], data: inner.map((v) => 2 * v) },
            };
          if (out === "minmax")
            return {
              s: {
                type: "float32",
                dims: [2],
                data: Float32Array.of(Math.min(...inner), Math.max(...inner)),
              },
            };
          return { s: { type: "float32", dims: [2, 1], data: Float32Array.of(inner[0]!, 0.1) } };
        },
      }) as unknown as InferenceSession;
    const map = tokensMap(4, 2, 3);
    const env = new Map([["x", { type: "float32" as const, dims: [1, 8, 3], data: map }]]);
    await runBandPass(
      pass({
        bands: [
          [0, 2],
          [2, 4],
        ],
      }),
      env,
      session("map"),
      Tensor,
    );
    expect(Array.from(env.get("y")!.data as Float32Array)).toEqual(Array.from(map, (v) => 2 * v));
    expect(calls).toEqual([[4], [4]]);
    await runBandPass(
      pass({
        bands: [
          [0, 1],
          [1, 3],
          [3, 4],
        ],
        output: { kind: "stat", name: "s", reduce: "minmax", dims: [2] },
      }),
      env,
      session("minmax"),
      Tensor,
    );
    expect(Array.from(env.get("s")!.data as Float32Array)).toEqual([0, 312]);
    await runBandPass(
      pass({
        bands: [
          [0, 2],
          [2, 4],
        ],
        output: { kind: "stat", name: "s", reduce: "sum", dims: [1] },
      }),
      env,
      session("sum"),
      Tensor,
    );
    // Blocks added in order in float32: ((0 + 0) + 0.1) + 200 + 0.1.
    expect(env.get("s")!.data[0]).toBe(Math.fround(Math.fround(Math.fround(0.1) + 200) + Math.fround(0.1)));
  });
});
