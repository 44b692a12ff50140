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

export function planPieces(c: GraphCosts, maxWeights: number, window = 0.5): PieceRange[] {
  const n = c.nodes.length;
  const cross = crossingBytes(c);
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
    // Cut at the cheapest boundary among those where the piece already holds `window` of the limit.
    let best = e;
    for (let i = e; i > s + 1; i--) {
      if (cum[i - s - 1]! < window * maxWeights) break;
      if (cross[i]! < cross[best]!) best = i;
    }
    pieces.push({ from: s, to: best });
    s = best;
  }
  return pieces;
}
