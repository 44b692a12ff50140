// Cuts one graph's node list into pieces: each piece becomes its own session (its own .onnx), so a stage
// can create its sessions one after another and hold only one piece's bytes in JS at a time. A piece ends
// once its weights reach the piece limit, at the position in the last stretch before the limit where the
// fewest activation bytes cross (between blocks or layers, where only the hidden state is live).
import { lookup } from "../shapes/evaluate";
import { bytesOf } from "../shapes/facts";
import { nodeReads } from "../graph/statics";
import type { GraphCosts } from "./costs";

export interface PieceRange {
  from: number;
  to: number;
}

/** Bytes of the values made before position i and read at or after it (or graph outputs made before i). */
export function crossingBytes(c: GraphCosts): number[] {
  const n = c.nodes.length;
  const made = new Map<string, number>();
  const lastRead = new Map<string, number>();
  c.nodes.forEach((r, i) => {
    for (const v of nodeReads(r.node)) lastRead.set(v, i);
    for (const o of r.node.output) if (o) made.set(o, i);
  });
  for (const o of c.graph.output) lastRead.set(o.name, n);
  const delta = new Array<number>(n + 2).fill(0);
  for (const [v, m] of made) {
    const last = lastRead.get(v);
    if (last === undefined || last <= m) continue;
    const size = bytesOf(lookup(c.facts, v) ?? { type: 1, dims: [] });
    delta[m + 1]! += size; // live across boundaries m+1 .. last
    delta[last + 1]! -= size;
  }
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i <= n; i++) {
    acc += delta[i]!;
    out.push(acc);
  }
  return out;
}

/**
 * Boundaries where a cut cannot change the numbers: every tensor crossing it (beyond shape vectors) is still
 * read by at least two nodes after it, as the residual stream or a LayerNorm's output is, or is a value shared
 * by several readers that was made long before (an attention mask). A cut inside a LayerNorm, a MatMul + bias
 * or a GELU would stop onnxruntime from fusing them (fusions need single-reader intermediates next to each
 * other), and the unfused arithmetic differs in the last bits, which int8 dynamic quantization can turn into
 * visible differences.
 */
const FAR = 20;

export function cleanBoundaries(c: GraphCosts): boolean[] {
  const n = c.nodes.length;
  const made = new Map<string, number>();
  const reads = new Map<string, number[]>();
  c.nodes.forEach((r, i) => {
    for (const v of nodeReads(r.node)) (reads.get(v) ?? reads.set(v, []).get(v)!).push(i);
    for (const o of r.node.output) if (o) made.set(o, i);
  });
  const outputs = new Set(c.graph.output.map((o) => o.name));
  const clean = new Array<boolean>(n + 1).fill(true);
  for (const [v, m] of made) {
    const f = lookup(c.facts, v);
    if (!f || f.dims.reduce((a, b) => a * b, 1) <= 64) continue;
    const rs = reads.get(v) ?? [];
    // Residual sums and LayerNorm outputs are Adds; any other maker (a Transpose feeding three Gathers, a
    // quantized MatMul) is inside a block, where onnxruntime's layout optimizer may rewrite across the cut.
    // Values made by the weight-splitting rewrite (row/column blocks of one op, rewrite/split-tensors.ts) are
    // exact block results, as safe to pass between pieces as a residual sum.
    const maker = c.nodes[m]!.node;
    if (maker.name.includes("/block-split")) continue;
    const stream = maker.opType === "Add";
    // For boundaries b in (m, last read]: clean only if ≥ 2 reads at or after b (or v is a graph output).
    for (let b = m + 1; b <= n; b++) {
      const remaining = rs.filter((x) => x >= b).length;
      if (remaining === 0 && !outputs.has(v)) break;
      const shared = rs.length >= 2 && b - m > FAR;
      if (((remaining < 2 && !shared) || (!stream && !shared)) && !outputs.has(v)) clean[b] = false;
    }
  }
  return clean;
}

export function planPieces(c: GraphCosts, maxWeights: number, window = 0.5): PieceRange[] {
  const n = c.nodes.length;
  const cross = crossingBytes(c);
  const clean = cleanBoundaries(c);
  const pieces: PieceRange[] = [];
  let s = 0;
  while (s < n) {
    const seen = new Set<string>();
    let w = 0;
    const cum: number[] = []; // cum[k] = weights of [s, s+k+1)
    let e = s;
    while (e < n) {
      let add = 0;
      for (const name of c.nodes[e]!.weights) if (!seen.has(name)) add += c.weightBytes.get(name) ?? 0;
      if (e > s && w + add > maxWeights) break;
      for (const name of c.nodes[e]!.weights) seen.add(name);
      w += add;
      cum.push(w);
      e++;
    }
    if (e >= n) {
      pieces.push({ from: s, to: n });
      break;
    }
    // Cut at the cheapest clean boundary among those where the piece already holds `window` of the limit;
    // else at the last clean one before the limit; else at the first clean one after it.
    let best = -1;
    for (let i = e; i > s; i--) {
      if (!clean[i]) continue;
      if (best >= 0 && cum[i - s - 1]! < window * maxWeights) break;
      if (best < 0 || cross[i]! < cross[best]!) best = i;
    }
    if (best < 0) {
      best = e + 1;
      while (best < n && !clean[best]) best++;
    }
    pieces.push({ from: s, to: Math.min(best, n) });
    s = Math.min(best, n);
  }
  return pieces;
}
