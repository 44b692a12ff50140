// A plain-TypeScript forward pass of Florence-2's vision encoder (DaViT + image head), written from
// FLORENCE2-ARCHITECTURE.md §1–2 with naive loops in float64, one image at a time. It shares no code with
// the graph builder: only hyper-parameters (the preset) and weights (looked up by their names in the file).
// Feature maps are kept channels-last: data[(y·W + x)·C + c].
import type { VisionDims } from "../../synthetic-model/presets";

export interface ReferenceWeights {
  /** A non-Linear parameter by its state-dict name (convs, norms, tables, image_projection). */
  tensor(name: string): Float32Array;
  /** An nn.Linear as stored by the exporter: Wᵀ (in × out) and the bias. */
  linear(module: string): { w: Float32Array; b: Float32Array };
}

interface FMap {
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

// erf to ~1e-15: Maclaurin series near 0, Lentz continued fraction for erfc in the tails.
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

function conv2d(
  m: FMap,
  wt: Float32Array,
  bias: Float32Array,
  cout: number,
  k: number,
  stride: number,
  pad: number,
  groups: number,
): FMap {
  const h = Math.floor((m.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((m.w + 2 * pad - k) / stride) + 1;
  const cinG = m.c / groups;
  const coutG = cout / groups;
  const out = new Float64Array(h * w * cout);
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      for (let co = 0; co < cout; co++) {
        const g = Math.floor(co / coutG);
        let s = bias[co]!;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * stride - pad + ky;
          if (iy < 0 || iy >= m.h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * stride - pad + kx;
            if (ix < 0 || ix >= m.w) continue;
            const base = (iy * m.w + ix) * m.c + g * cinG;
            for (let ci = 0; ci < cinG; ci++)
              s += m.data[base + ci]! * wt[((co * cinG + ci) * k + ky) * k + kx]!;
          }
        }
        out[(oy * w + ox) * cout + co] = s;
      }
    }
  }
  return { h, w, c: cout, data: out };
}

function layerNorm(x: Float64Array, c: number, gamma: Float32Array, beta: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length / c; t++) {
    let mean = 0;
    for (let i = 0; i < c; i++) mean += x[t * c + i]!;
    mean /= c;
    let v = 0;
    for (let i = 0; i < c; i++) v += (x[t * c + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / c + 1e-5);
    for (let i = 0; i < c; i++) out[t * c + i] = (x[t * c + i]! - mean) * inv * gamma[i]! + beta[i]!;
  }
  return out;
}

/** y = x·Wᵀ + b with Wᵀ given as (in × out). */
function linear(x: Float64Array, cin: number, p: { w: Float32Array; b: Float32Array }): Float64Array {
  const cout = p.b.length;
  const n = x.length / cin;
  const out = new Float64Array(n * cout);
  for (let t = 0; t < n; t++) {
    const o = t * cout;
    for (let j = 0; j < cout; j++) out[o + j] = p.b[j]!;
    for (let i = 0; i < cin; i++) {
      const xi = x[t * cin + i]!;
      const row = i * cout;
      for (let j = 0; j < cout; j++) out[o + j]! += xi * p.w[row + j]!;
    }
  }
  return out;
}

function softmaxInPlace(a: Float64Array, off: number, len: number): void {
  let mx = -Infinity;
  for (let i = 0; i < len; i++) mx = Math.max(mx, a[off + i]!);
  let s = 0;
  for (let i = 0; i < len; i++) s += a[off + i] = Math.exp(a[off + i]! - mx);
  for (let i = 0; i < len; i++) a[off + i]! /= s;
}

function addInPlace(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}

/** Window attention on LN(x): zero pad right/bottom to multiples of ws, attend per window, crop. */
function windowAttention(m: FMap, heads: number, ws: number, W: ReferenceWeights, p: string): Float64Array {
  const c = m.c;
  const d = c / heads;
  const n = layerNorm(m.data, c, W.tensor(`${p}.norm.weight`), W.tensor(`${p}.norm.bias`));
  const hp = Math.ceil(m.h / ws) * ws;
  const wp = Math.ceil(m.w / ws) * ws;
  const qkvP = W.linear(`${p}.fn.qkv`);
  const projP = W.linear(`${p}.fn.proj`);
  const out = new Float64Array(m.h * m.w * c);
  const win = new Float64Array(ws * ws * c);
  const scale = d ** -0.5;
  for (let wy = 0; wy < hp / ws; wy++) {
    for (let wx = 0; wx < wp / ws; wx++) {
      win.fill(0); // padded positions stay exact zeros
      for (let i = 0; i < ws; i++) {
        for (let j = 0; j < ws; j++) {
          const y = wy * ws + i;
          const x = wx * ws + j;
          if (y < m.h && x < m.w)
            win.set(n.subarray((y * m.w + x) * c, (y * m.w + x + 1) * c), (i * ws + j) * c);
        }
      }
      const qkv = linear(win, c, qkvP);
      const t = ws * ws;
      const y = new Float64Array(t * c);
      const att = new Float64Array(t);
      for (let hd = 0; hd < heads; hd++) {
        for (let a = 0; a < t; a++) {
          for (let b = 0; b < t; b++) {
            let s = 0;
            for (let e = 0; e < d; e++)
              s += qkv[a * 3 * c + hd * d + e]! * scale * qkv[b * 3 * c + c + hd * d + e]!;
            att[b] = s;
          }
          softmaxInPlace(att, 0, t);
          for (let e = 0; e < d; e++) {
            let s = 0;
            for (let b = 0; b < t; b++) s += att[b]! * qkv[b * 3 * c + 2 * c + hd * d + e]!;
            y[a * c + hd * d + e] = s;
          }
        }
      }
      const proj = linear(y, c, projP);
      for (let i = 0; i < ws; i++) {
        for (let j = 0; j < ws; j++) {
          const yy = wy * ws + i;
          const xx = wx * ws + j;
          if (yy < m.h && xx < m.w)
            out.set(proj.subarray((i * ws + j) * c, (i * ws + j + 1) * c), (yy * m.w + xx) * c);
        }
      }
    }
  }
  return out;
}

/** Channel attention on LN(x): per group a d×d softmax(qᵀk/√N) over key channels, y[n,i] = Σ_j A[i,j]·v[n,j]. */
function channelAttention(m: FMap, groups: number, W: ReferenceWeights, p: string): Float64Array {
  const c = m.c;
  const d = c / groups;
  const nTok = m.h * m.w;
  const x = layerNorm(m.data, c, W.tensor(`${p}.norm.weight`), W.tensor(`${p}.norm.bias`));
  const qkv = linear(x, c, W.linear(`${p}.fn.qkv`));
  const scale = nTok ** -0.5;
  const y = new Float64Array(nTok * c);
  const A = new Float64Array(d * d);
  for (let g = 0; g < groups; g++) {
    A.fill(0);
    for (let t = 0; t < nTok; t++) {
      const o = t * 3 * c + g * d;
      for (let i = 0; i < d; i++) {
        const qi = qkv[o + i]! * scale;
        for (let j = 0; j < d; j++) A[i * d + j]! += qi * qkv[o + c + j]!;
      }
    }
    for (let i = 0; i < d; i++) softmaxInPlace(A, i * d, d);
    for (let t = 0; t < nTok; t++) {
      const o = t * 3 * c + 2 * c + g * d;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += A[i * d + j]! * qkv[o + j]!;
        y[t * c + g * d + i] = s;
      }
    }
  }
  return linear(y, c, W.linear(`${p}.fn.proj`));
}

function dwConvResidual(m: FMap, W: ReferenceWeights, module: string): void {
  const y = conv2d(m, W.tensor(`${module}.weight`), W.tensor(`${module}.bias`), m.c, 3, 1, 1, m.c);
  addInPlace(m.data, y.data);
}

function mlpResidual(m: FMap, W: ReferenceWeights, p: string): void {
  const n = layerNorm(m.data, m.c, W.tensor(`${p}.norm.weight`), W.tensor(`${p}.norm.bias`));
  const h = linear(n, m.c, W.linear(`${p}.fn.net.fc1`)).map(gelu);
  addInPlace(m.data, linear(h, h.length / (m.h * m.w), W.linear(`${p}.fn.net.fc2`)));
}

/** image_features for one image given as CHW pixels; returns (1 + h·w) × projectionDim, row-major. */
export function referenceVisionEncoder(
  pixels: Float32Array,
  height: number,
  width: number,
  v: VisionDims,
  W: ReferenceWeights,
): Float64Array {
  let m: FMap = { h: height, w: width, c: 3, data: new Float64Array(height * width * 3) };
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < height * width; i++) m.data[i * 3 + c] = pixels[c * height * width + i]!;

  for (let s = 0; s < 4; s++) {
    const conv = `vision_tower.convs.${s}`;
    const norm = (x: FMap) => ({
      ...x,
      data: layerNorm(x.data, x.c, W.tensor(`${conv}.norm.weight`), W.tensor(`${conv}.norm.bias`)),
    });
    if (v.patchPrenorm[s]) m = norm(m);
    m = conv2d(
      m,
      W.tensor(`${conv}.proj.weight`),
      W.tensor(`${conv}.proj.bias`),
      v.dims[s]!,
      v.patchSize[s]!,
      v.patchStride[s]!,
      v.patchPadding[s]!,
      1,
    );
    if (!v.patchPrenorm[s]) m = norm(m);
    for (let u = 0; u < v.depths[s]!; u++) {
      for (const kind of ["spatial_block", "channel_block"] as const) {
        const p = `vision_tower.blocks.${s}.${u}.${kind}`;
        dwConvResidual(m, W, `${p}.conv1.fn.dw`);
        addInPlace(
          m.data,
          kind === "spatial_block"
            ? windowAttention(m, v.heads[s]!, v.windowSize, W, `${p}.window_attn`)
            : channelAttention(m, v.heads[s]!, W, `${p}.channel_attn`),
        );
        dwConvResidual(m, W, `${p}.conv2.fn.dw`);
        mlpResidual(m, W, `${p}.ffn`);
      }
    }
  }

  // Image head: + [column[j] | row[i]] + [sin 0, cos 0, …], mean token first, ·W_proj, LayerNorm.
  const c = m.c;
  const half = Math.floor(c / 2);
  const rows = W.tensor("image_pos_embed.row_embeddings.weight");
  const cols = W.tensor("image_pos_embed.column_embeddings.weight");
  const nTok = m.h * m.w;
  const z = new Float64Array((nTok + 1) * c);
  for (let i = 0; i < m.h; i++) {
    for (let j = 0; j < m.w; j++) {
      const t = i * m.w + j;
      for (let k = 0; k < c; k++) {
        const pos = k < c - half ? cols[j * (c - half) + k]! : rows[i * half + (k - (c - half))]!;
        const temporal = k % 2 === 0 ? 0 : 1; // row 0 of the cosine table: sin(0), cos(0)
        z[(t + 1) * c + k] = m.data[t * c + k]! + pos + temporal;
      }
    }
  }
  for (let t = 1; t <= nTok; t++) for (let k = 0; k < c; k++) z[k]! += z[t * c + k]! / nTok;
  const proj = W.tensor("image_projection");
  const dOut = proj.length / c;
  const f = linear(z, c, { w: proj, b: new Float32Array(dOut) });
  return layerNorm(f, dOut, W.tensor("image_proj_norm.weight"), W.tensor("image_proj_norm.bias"));
}
