// Where to cut the merged decoder's two branches (rewrite/cut-if.ts). Layers are recognised by their weights:
// the with-past branch is walked in order, and a cut goes before the first node of a new layer's weights once
// the piece holds enough of them; the no-past branch is cut before the same weights. Within the stretch between
// the previous weights' last reader and the next weights' first reader, each branch is cut where the fewest
// activation bytes cross (after a layer's final LayerNorm: the hidden state plus the masks).
import { dimsOf, type TensorProto } from "../../onnx-graph";
import type { GraphCosts } from "./costs";
import { cleanBoundaries, crossingBytes } from "./pieces";

export interface BranchCuts {
  then: number[];
  else: number[];
  /** Weight names per piece (union over both branches). */
  weights: Set<string>[];
}

/** Matrices (rank ≥ 2): what layers are made of; LayerNorm vectors are shared and ignored here. */
function matrices(c: GraphCosts, inits: Map<string, TensorProto>, i: number): string[] {
  return [...c.nodes[i]!.weights].filter((w) => {
    const t = inits.get(w);
    return t !== undefined && dimsOf(t).length >= 2;
  });
}

/** Non-static position → index in the branch's node list. */
function rawIndex(c: GraphCosts, pos: number): number {
  return pos >= c.nodes.length ? c.graph.node.length : c.graph.node.indexOf(c.nodes[pos]!.node);
}

/**
 * Best cut in the branch before the first reader of any of `after`, after the last reader of anything else;
 * -1 when no clean boundary lies in between (the weights are not at a layer boundary).
 */
function cutBefore(
  c: GraphCosts,
  inits: Map<string, TensorProto>,
  after: Set<string>,
  cross: number[],
): number {
  const clean = cleanBoundaries(c);
  let first = c.nodes.length;
  let lastOther = -1;
  c.nodes.forEach((_, i) => {
    const m = matrices(c, inits, i);
    if (m.some((w) => after.has(w))) first = Math.min(first, i);
  });
  c.nodes.forEach((_, i) => {
    if (i < first && matrices(c, inits, i).some((w) => !after.has(w))) lastOther = i;
  });
  let best = -1;
  for (let p = first; p > lastOther; p--) if (clean[p] && (best < 0 || cross[p]! < cross[best]!)) best = p;
  return best;
}

const CACHE_NAME = /^(?:past_key_values|present)\.(\d+)\./;

/**
 * Whether a cut keeps each layer's caches in one piece: the piece that reads layer l's past (with-past branch)
 * must also make its presents, in both branches, or the caches would have to travel between pieces.
 */
function keepsLayersWhole(thenCosts: GraphCosts, elseCosts: GraphCosts, [t, e]: [number, number]): boolean {
  const side = new Map<string, boolean>();
  const mark = (layer: string, after: boolean) => {
    if (side.has(layer) && side.get(layer) !== after) return false;
    side.set(layer, after);
    return true;
  };
  for (const [c, cut] of [
    [thenCosts, t],
    [elseCosts, e],
  ] as const) {
    const outputs = new Set(c.graph.output.map((o) => o.name));
    for (const n of c.nodes) {
      const idx = c.graph.node.indexOf(n.node);
      for (const name of [...n.node.input, ...n.node.output.filter((o) => outputs.has(o))]) {
        const m = CACHE_NAME.exec(name);
        if (m && !mark(m[1]!, idx >= cut)) return false;
      }
    }
  }
  return true;
}

export function planDecoderCuts(
  thenCosts: GraphCosts,
  elseCosts: GraphCosts,
  inits: Map<string, TensorProto>,
  pieceBytes: number,
): BranchCuts {
  const bytes = (w: string) => thenCosts.weightBytes.get(w) ?? 0;
  // Weights in order of first reading by the with-past branch.
  const order: string[] = [];
  const seen = new Set<string>();
  thenCosts.nodes.forEach((_, i) => {
    for (const w of matrices(thenCosts, inits, i)) {
      if (seen.has(w)) continue;
      order.push(w);
      seen.add(w);
    }
  });
  const elseOnly = new Set<string>();
  elseCosts.nodes.forEach((_, i) =>
    matrices(elseCosts, inits, i).forEach((w) => !seen.has(w) && elseOnly.add(w)),
  );
  const total = [...seen, ...elseOnly].reduce((a, w) => a + bytes(w), 0);
  const thenTotal = order.reduce((a, w) => a + bytes(w), 0);
  const budget = pieceBytes * (thenTotal / Math.max(1, total));

  // Cuts can go only before weights that start a layer in both branches (a clean boundary precedes them).
  const crossThen = crossingBytes(thenCosts);
  const crossElse = crossingBytes(elseCosts);
  const cutAt = new Map<number, [number, number]>();
  for (let k = 1; k < order.length; k++) {
    const after = new Set(order.slice(k));
    const t = cutBefore(thenCosts, inits, after, crossThen);
    const e = t < 0 ? -1 : cutBefore(elseCosts, inits, after, crossElse);
    if (t < 0 || e < 0) continue;
    const cut: [number, number] = [rawIndex(thenCosts, t), rawIndex(elseCosts, e)];
    if (keepsLayersWhole(thenCosts, elseCosts, cut)) cutAt.set(k, cut);
  }
  const cuts: BranchCuts = { then: [], else: [], weights: [] };
  let start = 0;
  let acc = 0;
  for (let k = 0; k < order.length; k++) {
    if (acc > 0 && acc + bytes(order[k]!) > budget) {
      // Cut at the last feasible place in this piece, else at the next one.
      let c = -1;
      for (let j = k; j > start && c < 0; j--) if (cutAt.has(j)) c = j;
      for (let j = k + 1; j < order.length && c < 0; j++) if (cutAt.has(j)) c = j;
      if (c < 0) break;
      const [t, e] = cutAt.get(c)!;
      cuts.then.push(t);
      cuts.else.push(e);
      acc = order.slice(c, k).reduce((a, w) => a + bytes(w), 0);
      start = c;
      if (c > k) {
        k = c - 1;
        acc = 0;
        continue;
      }
    }
    acc += bytes(order[k]!);
  }
  // Piece weights: everything either branch reads within the piece's ranges.
  const pieceWeights = (c: GraphCosts, raw: number[]) => {
    const sets = raw.map(() => new Set<string>()).concat([new Set<string>()]);
    c.nodes.forEach((n) => {
      const idx = c.graph.node.indexOf(n.node);
      const p = raw.filter((r) => r <= idx).length;
      for (const w of n.weights) sets[p]!.add(w);
    });
    return sets;
  };
  const a = pieceWeights(thenCosts, cuts.then);
  const b = pieceWeights(elseCosts, cuts.else);
  cuts.weights = a.map((s, i) => new Set([...s, ...b[i]!]));
  return cuts;
}
