// A naive float64 forward pass of Florence-2's BART language model, written from the spec
// (FLORENCE2-ARCHITECTURE.md §3) and nothing else: plain loops, masked keys simply left out of the softmax,
// erf from its series. It shares only the WEIGHTS with the graphs under test, read back from the written
// files; which initializer is which module's weight is found from the node that reads it.
import { tensorToArray, type GraphProto, type TensorProto } from "../../onnx-graph";

export type Vec = Float64Array;

export interface Linear {
  /** Stored as the ONNX MatMul operand: [in, out] (PyTorch weight transposed). */
  wT: Float32Array;
  b: Float32Array | undefined;
  inF: number;
  outF: number;
}

/** Weights of a graph (and, for an If branch, of the enclosing graph) looked up by module name. */
export class WeightBook {
  private readonly tensors = new Map<string, TensorProto>();
  private readonly nodes = new Map<string, string[]>();

  constructor(graph: GraphProto, outer: GraphProto[] = []) {
    for (const g of [...outer, graph]) for (const t of g.initializer) this.tensors.set(t.name, t);
    for (const n of graph.node) this.nodes.set(n.name, n.input);
  }

  tensor(name: string): Float32Array {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no initializer ${name}`);
    return tensorToArray(t) as Float32Array;
  }

  /** Name of input `index` of the node called `node`. */
  inputOf(node: string, index: number): string {
    const inputs = this.nodes.get(node);
    if (!inputs?.[index]) throw new Error(`no node ${node} (input ${index})`);
    return inputs[index];
  }

  linear(module: string, bias = true): Linear {
    const wName = this.inputOf(`/${module}/MatMul`, 1);
    const t = this.tensors.get(wName)!;
    const [inF, outF] = t.dims.map(Number) as [number, number];
    return {
      wT: this.tensor(wName),
      b: bias ? this.tensor(this.inputOf(`/${module}/Add`, 0)) : undefined,
      inF,
      outF,
    };
  }

  layerNorm(module: string): { g: Float32Array; b: Float32Array } {
    return {
      g: this.tensor(this.inputOf(`/${module}/Mul`, 1)),
      b: this.tensor(this.inputOf(`/${module}/Add_1`, 1)),
    };
  }

  /** The table read by a Gather node. */
  gatherTable(node: string): Float32Array {
    return this.tensor(this.inputOf(node, 0));
  }
}

// ---- maths ------------------------------------------------------------------------------------------------

/** erf by its Maclaurin series for |x| < 3 and the continued fraction of erfc beyond (double precision). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

export function linear(x: Vec, n: number, l: Linear): Vec {
  const out = new Float64Array(n * l.outF);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < l.outF; o++) {
      let s = l.b ? l.b[o]! : 0;
      for (let i = 0; i < l.inF; i++) s += x[r * l.inF + i]! * l.wT[i * l.outF + o]!;
      out[r * l.outF + o] = s;
    }
  }
  return out;
}

function layerNorm(x: Vec, n: number, d: number, p: { g: Float32Array; b: Float32Array }): Vec {
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]!;
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + 1e-5);
    for (let i = 0; i < d; i++) out[r * d + i] = (x[r * d + i]! - mean) * inv * p.g[i]! + p.b[i]!;
  }
  return out;
}

const add = (a: Vec, b: Vec) => a.map((v, i) => v + b[i]!);

export interface Dims {
  d: number;
  heads: number;
}

/** K and V of one attention, [S, d] each (heads side by side). */
export interface KV {
  k: Vec;
  v: Vec;
  s: number;
}

export function projectKV(kv: Vec, s: number, book: WeightBook, module: string): KV {
  return {
    k: linear(kv, s, book.linear(`${module}.k_proj`)),
    v: linear(kv, s, book.linear(`${module}.v_proj`)),
    s,
  };
}

/** Multi-head attention of n queries over kv; key j is visible to query i iff allowed(i, j). */
export function attend(
  x: Vec,
  n: number,
  kv: KV,
  allowed: (i: number, j: number) => boolean,
  book: WeightBook,
  module: string,
  dims: Dims,
): Vec {
  const { d, heads } = dims;
  const hd = d / heads;
  const q = linear(x, n, book.linear(`${module}.q_proj`)).map((v) => v / Math.sqrt(hd));
  const ctx = new Float64Array(n * d);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      const keys: number[] = [];
      const scores: number[] = [];
      for (let j = 0; j < kv.s; j++) {
        if (!allowed(i, j)) continue;
        let s = 0;
        for (let c = 0; c < hd; c++) s += q[i * d + h * hd + c]! * kv.k[j * d + h * hd + c]!;
        keys.push(j);
        scores.push(s);
      }
      const m = Math.max(...scores);
      const w = scores.map((s) => Math.exp(s - m));
      const z = w.reduce((a, b) => a + b, 0);
      keys.forEach((j, t) => {
        for (let c = 0; c < hd; c++) ctx[i * d + h * hd + c]! += (w[t]! / z) * kv.v[j * d + h * hd + c]!;
      });
    }
  }
  return linear(ctx, n, book.linear(`${module}.out_proj`));
}

function ffn(h: Vec, n: number, book: WeightBook, layer: string): Vec {
  const a = linear(h, n, book.linear(`${layer}.fc1`)).map(gelu);
  return linear(a, n, book.linear(`${layer}.fc2`));
}

/** inputs_embeds + positions (past + i + 2), then layernorm_embedding. */
function embed(x: Vec, n: number, past: number, book: WeightBook, prefix: string, d: number): Vec {
  const table = book.gatherTable(`/${prefix}/embed_positions/Gather`);
  const h = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < d; c++) h[i * d + c] = x[i * d + c]! + table[(past + i + 2) * d + c]!;
  return layerNorm(h, n, d, book.layerNorm(`${prefix}.layernorm_embedding`));
}

/** BART encoder for one sequence: [S, d] embeddings and a 0/1 mask → last_hidden_state [S, d]. */
export function encoderForward(book: WeightBook, x: Vec, mask: number[], layers: number, dims: Dims): Vec {
  const p = "language_model.model.encoder";
  const s = mask.length;
  let h = embed(x, s, 0, book, p, dims.d);
  for (let l = 0; l < layers; l++) {
    const layer = `${p}.layers.${l}`;
    const sa = attend(
      h,
      s,
      projectKV(h, s, book, `${layer}.self_attn`),
      (_i, j) => mask[j] === 1,
      book,
      `${layer}.self_attn`,
      dims,
    );
    h = layerNorm(add(h, sa), s, dims.d, book.layerNorm(`${layer}.self_attn_layer_norm`));
    h = layerNorm(add(h, ffn(h, s, book, layer)), s, dims.d, book.layerNorm(`${layer}.final_layer_norm`));
  }
  return h;
}

/** BART decoder over a whole prefix (causal), then the lm_head: logits [T, vocab]. */
export function decoderForward(
  book: WeightBook,
  x: Vec,
  t: number,
  enc: Vec,
  encMask: number[],
  layers: number,
  dims: Dims,
): Vec {
  const p = "language_model.model.decoder";
  const s = encMask.length;
  let h = embed(x, t, 0, book, p, dims.d);
  for (let l = 0; l < layers; l++) {
    const layer = `${p}.layers.${l}`;
    const sa = attend(
      h,
      t,
      projectKV(h, t, book, `${layer}.self_attn`),
      (i, j) => j <= i,
      book,
      `${layer}.self_attn`,
      dims,
    );
    h = layerNorm(add(h, sa), t, dims.d, book.layerNorm(`${layer}.self_attn_layer_norm`));
    const kv = projectKV(enc, s, book, `${layer}.encoder_attn`);
    const ca = attend(h, t, kv, (_i, j) => encMask[j] === 1, book, `${layer}.encoder_attn`, dims);
    h = layerNorm(add(h, ca), t, dims.d, book.layerNorm(`${layer}.encoder_attn_layer_norm`));
    h = layerNorm(add(h, ffn(h, t, book, layer)), t, dims.d, book.layerNorm(`${layer}.final_layer_norm`));
  }
  const logits = linear(h, t, book.linear("language_model.lm_head", false));
  const bias = book.tensor(book.inputOf("/language_model/Add", 1));
  return logits.map((v, i) => v + bias[i % bias.length]!);
}
