// Single-op models for the candidate int8 (and 4-bit) patterns of one Linear layer y = x·W (W stored in × out,
// as torch.onnx.export writes it) and of one Conv, built with the graph builder. Every pattern takes the same
// fp32 input and returns fp32, so that timings and errors compare like for like.
import { DataType, GraphBuilder, makeModel, Random, type ModelProto } from "../../onnx-graph";
import { quantizeInt8 } from "../../quant/per-channel";

export const MATMUL_PATTERNS = [
  "fp32",
  "dql+matmulinteger s8",
  "dql+matmulinteger u8",
  "dynamicquantizematmul s8",
  "dynamicquantizematmul u8",
  "dynamicquantizematmul s8, 2048-column blocks",
  "dql+matmulintegertofloat s8",
  "dequantizelinear+matmul",
  "matmulnbits q4",
] as const;
export type MatMulPattern = (typeof MATMUL_PATTERNS)[number];

export const CONV_PATTERNS = ["conv fp32", "dequantizelinear+conv"] as const;
export type ConvPattern = (typeof CONV_PATTERNS)[number];

export interface MatMulShape {
  name: string;
  m: number;
  k: number;
  n: number;
}

/** Real Florence-2-base shapes (REFERENCE.md §1): tokens × in · in × out. */
export const MATMUL_SHAPES: MatMulShape[] = [
  { name: "davit stage-0 qkv", m: 36864, k: 128, n: 384 },
  { name: "davit stage-2 fc1", m: 2304, k: 512, n: 2048 },
  { name: "text encoder fc1", m: 600, k: 768, n: 3072 },
  { name: "decoder step q", m: 1, k: 768, n: 768 },
  { name: "lm_head step", m: 1, k: 768, n: 51289 },
];

export interface ConvShape {
  name: string;
  cin: number;
  cout: number;
  hw: number;
  kernel: number;
  stride: number;
  pad: number;
  group: number;
}

export const CONV_SHAPES: ConvShape[] = [
  { name: "stage-0 patch embed 7×7/4", cin: 3, cout: 128, hw: 768, kernel: 7, stride: 4, pad: 3, group: 1 },
  { name: "stage-3 patch embed 3×3/2", cin: 512, cout: 1024, hw: 48, kernel: 3, stride: 2, pad: 1, group: 1 },
  {
    name: "stage-0 depthwise pos-enc 3×3",
    cin: 128,
    cout: 128,
    hw: 192,
    kernel: 3,
    stride: 1,
    pad: 1,
    group: 128,
  },
  {
    name: "stage-2 depthwise pos-enc 3×3",
    cin: 512,
    cout: 512,
    hw: 48,
    kernel: 3,
    stride: 1,
    pad: 1,
    group: 512,
  },
];

export function convOut(s: ConvShape): number {
  return Math.floor((s.hw + 2 * s.pad - s.kernel) / s.stride) + 1;
}

export function convMacs(s: ConvShape): number {
  const o = convOut(s);
  return s.cout * o * o * (s.cin / s.group) * s.kernel * s.kernel;
}

const OPSETS = { "": 17, "com.microsoft": 1 };

/** Weights like a trained Linear (std 0.02), seeded by the shape so every pattern sees the same matrix. */
export function linearWeight(s: MatMulShape): Float32Array {
  return new Random(1).fork(`${s.k}x${s.n}`).normalArray(s.k * s.n, 0.02);
}

export function matmulModel(pattern: MatMulPattern, s: MatMulShape, w = linearWeight(s)): ModelProto {
  const g = new GraphBuilder(pattern);
  g.input("x", DataType.FLOAT, [s.m, s.k]);
  g.output("y", DataType.FLOAT, [s.m, s.n]);
  const { q, scales } = quantizeInt8(w, s.k, s.n, 1);
  const out = { output: "y" };
  switch (pattern) {
    case "fp32":
      g.op("MatMul", ["x", g.initializer("W", w, [s.k, s.n])], {}, out);
      break;
    case "dql+matmulinteger s8":
    case "dql+matmulinteger u8": {
      // onnxruntime's quantize_dynamic layout: uint8 activations, int32 accumulators, then one fp32 rescale.
      const [xq, xs, xzp] = g.node("DynamicQuantizeLinear", ["x"], {}, { outputs: 3 });
      const u8 = pattern.endsWith("u8");
      const wq = u8 ? g.initializer("Wq", toUint8(q), [s.k, s.n]) : g.initializer("Wq", q, [s.k, s.n]);
      const inputs = [xq!, wq, xzp!];
      if (u8) inputs.push(g.initializer("Wzp", Uint8Array.of(128), []));
      const acc = g.op("MatMulInteger", inputs);
      const f = g.op("Cast", [acc], { to: DataType.FLOAT });
      const scale = g.op("Mul", [xs!, g.initializer("Wscale", scales, [s.n])]);
      g.op("Mul", [f, scale], {}, out);
      break;
    }
    case "dynamicquantizematmul s8":
    case "dynamicquantizematmul u8": {
      const u8 = pattern.endsWith("u8");
      const wq = u8 ? g.initializer("Wq", toUint8(q), [s.k, s.n]) : g.initializer("Wq", q, [s.k, s.n]);
      const inputs = [
        "x",
        wq,
        g.initializer("Wscale", scales, [s.n]),
        ...(u8 ? [g.initializer("Wzp", new Uint8Array(s.n).fill(128), [s.n])] : []),
      ];
      g.op("DynamicQuantizeMatMul", inputs, {}, { ...out, domain: "com.microsoft" });
      break;
    }
    case "dynamicquantizematmul s8, 2048-column blocks": {
      // What quant/ emits for weights wider than 8192 columns (the lm_head): blocks, then Concat.
      const outs: string[] = [];
      for (let c0 = 0; c0 < s.n; c0 += 2048) {
        const c1 = Math.min(s.n, c0 + 2048);
        const block = new Float32Array(s.k * (c1 - c0));
        for (let r = 0; r < s.k; r++) block.set(w.subarray(r * s.n + c0, r * s.n + c1), r * (c1 - c0));
        const b = quantizeInt8(block, s.k, c1 - c0, 1);
        const inputs = [
          "x",
          g.initializer(`Wq${c0}`, b.q, [s.k, c1 - c0]),
          g.initializer(`Wscale${c0}`, b.scales, [c1 - c0]),
        ];
        outs.push(g.op("DynamicQuantizeMatMul", inputs, {}, { domain: "com.microsoft" }));
      }
      g.op(outs.length > 1 ? "Concat" : "Identity", outs, outs.length > 1 ? { axis: -1 } : {}, out);
      break;
    }
    case "dql+matmulintegertofloat s8": {
      const [xq, xs, xzp] = g.node("DynamicQuantizeLinear", ["x"], {}, { outputs: 3 });
      const inputs = [
        xq!,
        g.initializer("Wq", q, [s.k, s.n]),
        xs!,
        g.initializer("Wscale", scales, [s.n]),
        xzp!,
      ];
      g.op("MatMulIntegerToFloat", inputs, {}, { ...out, domain: "com.microsoft" });
      break;
    }
    case "dequantizelinear+matmul": {
      const wf = g.op(
        "DequantizeLinear",
        [g.initializer("Wq", q, [s.k, s.n]), g.initializer("Wscale", scales, [s.n])],
        { axis: 1 },
      );
      g.op("MatMul", ["x", wf], {}, out);
      break;
    }
    case "matmulnbits q4": {
      const blockSize = 32;
      const { packed, scales4, kBlocks } = quantize4Bit(w, s.k, s.n, blockSize);
      const b = g.initializer("Wq4", packed, [s.n, kBlocks, blockSize / 2]);
      const sc = g.initializer("Wscale4", scales4, [s.n * kBlocks]);
      g.op(
        "MatMulNBits",
        ["x", b, sc],
        { K: s.k, N: s.n, bits: 4, block_size: blockSize },
        { ...out, domain: "com.microsoft" },
      );
      break;
    }
  }
  return makeModel(g.build(), { opsets: OPSETS });
}

export function convWeight(s: ConvShape): Float32Array {
  const n = s.cout * (s.cin / s.group) * s.kernel * s.kernel;
  return new Random(2).fork(s.name).normalArray(n, 0.05);
}

export function convModel(pattern: ConvPattern, s: ConvShape, w = convWeight(s)): ModelProto {
  const g = new GraphBuilder(pattern);
  const o = convOut(s);
  g.input("x", DataType.FLOAT, [1, s.cin, s.hw, s.hw]);
  g.output("y", DataType.FLOAT, [1, s.cout, o, o]);
  const wDims = [s.cout, s.cin / s.group, s.kernel, s.kernel];
  const per = wDims[1]! * s.kernel * s.kernel;
  const bias = g.initializer("B", new Random(3).fork(s.name).normalArray(s.cout, 0.02), [s.cout]);
  let wName: string;
  if (pattern === "conv fp32") {
    wName = g.initializer("W", w, wDims);
  } else {
    const { q, scales } = quantizeInt8(w, s.cout, per, 0);
    wName = g.op(
      "DequantizeLinear",
      [g.initializer("Wq", q, wDims), g.initializer("Wscale", scales, [s.cout])],
      { axis: 0 },
    );
  }
  const attrs = {
    kernel_shape: [s.kernel, s.kernel],
    strides: [s.stride, s.stride],
    pads: [s.pad, s.pad, s.pad, s.pad],
    group: s.group,
  };
  g.op("Conv", ["x", wName, bias], attrs, { output: "y" });
  return makeModel(g.build(), { opsets: OPSETS });
}

function toUint8(q: Int8Array): Uint8Array {
  return Uint8Array.from(q, (v) => v + 128);
}

/**
 * MatMulNBits' layout: B is [N, K/block, block/2] bytes, column n's block b holding k = b·block … with the
 * lower nibble first; scales [N · K/block]; zero point 8 when none is given. Symmetric: q = round(w/s) + 8.
 */
function quantize4Bit(w: Float32Array, k: number, n: number, block: number) {
  const kBlocks = Math.ceil(k / block);
  const packed = new Uint8Array(n * kBlocks * (block / 2));
  const scales4 = new Float32Array(n * kBlocks);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < kBlocks; b++) {
      let m = 0;
      for (let i = b * block; i < Math.min(k, (b + 1) * block); i++)
        m = Math.max(m, Math.abs(w[i * n + col]!));
      const sc = m > 0 ? m / 7 : 1;
      scales4[col * kBlocks + b] = sc;
      for (let j = 0; j < block; j++) {
        const i = b * block + j;
        const v = i < k ? Math.max(-8, Math.min(7, Math.round(w[i * n + col]! / sc))) + 8 : 8;
        const byte = (col * kBlocks + b) * (block / 2) + (j >> 1);
        packed[byte] = packed[byte]! | (j & 1 ? v << 4 : v);
      }
    }
  }
  return { packed, scales4, kBlocks };
}
