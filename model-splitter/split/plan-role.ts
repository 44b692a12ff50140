// Plans and writes one role's stages: evaluate the graph at each planning scenario, cut it into pieces by
// weight, group the pieces into stages by the memory model, write every piece with its chunks, and describe
// the stages for the manifest.
import type { TensorProto } from "../../onnx-graph";
import type { Stage, StageProgram, TensorSpec } from "../manifest";
import { cutGraph, type Piece } from "../graph/cut";
import { cutMergedDecoder } from "../rewrite/cut-if";
import { planDecoderCuts } from "../plan/decoder-cuts";
import { planBandedVision } from "../davit/banded-plan";
import { crossBroadcasts } from "../rewrite/cross-broadcast";
import { bandedStages } from "../davit/banded-stages";
import { activationPeak, graphCosts, weightBytesOf, type GraphCosts } from "../plan/costs";
import { estimateStage, groupPieces, type PieceCost } from "../plan/estimate";
import { planPieces, type PieceRange } from "../plan/pieces";
import { evaluateGraph, lookup } from "../shapes/evaluate";
import { bytesOf, type Facts } from "../shapes/facts";
import { writePiece } from "../write/piece-writer";
import type { SplitOptions } from "./options";
import type { ModelDims, RoleGraph } from "./roles";

const CACHE = /^(past_key_values|present)\./;
const DECODER_FED = new Set(["encoder_hidden_states", "encoder_attention_mask", "use_cache_branch"]);

export interface PlannedRole {
  stages: Stage[];
  /** Per stage: scenario descriptions (for the report and the probe). */
  scenarios: string[];
}

export function planRole(
  r: RoleGraph,
  o: SplitOptions,
  dims: ModelDims,
  root: string,
  firstIndex = 0,
): PlannedRole {
  if (r.role === "decoder") return planDecoder(r, o, dims, root);
  if (r.role === "vision" && firstIndex === 0 && o.bandStages !== 0) {
    const inits = new Map(r.model.graph!.initializer.map((t) => [t.name, t]));
    const bv = planBandedVision(r.model.graph!, r.scenarios[0]!.inputs, inits, dims.vision, {
      calibration: o.calibration,
      target: o.target,
      budget: o.budget,
      stages: o.bandStages,
      bandRows: o.bandRows,
      ranges: o.bandRanges,
      load: r.load,
    });
    if (bv) {
      const banded = bandedStages(bv, {
        root,
        chunkBytes: o.chunkBytes,
        calibration: o.calibration,
        target: o.target,
        source: r.model,
        load: r.load,
      });
      const boundary = banded.at(-1)!.outputs[0]!;
      const rest = planRole(
        {
          ...r,
          model: { ...r.model, graph: bv.remainder },
          scenarios: [
            {
              name: `${r.scenarios[0]!.name}, after DaViT stage ${bv.stages - 1}`,
              inputs: { [boundary.name]: { type: 1, dims: boundary.dims as number[] } },
            },
          ],
        },
        o,
        dims,
        root,
        banded.length,
      );
      const note = `${r.scenarios[0]!.name}, bands of ${[...new Set(bv.passes.map((p) => p.bandRows))].join("/")} rows`;
      return {
        stages: [...banded, ...rest.stages],
        scenarios: [...banded.map(() => note), ...rest.scenarios],
      };
    }
  }
  const plan = choosePieceSize(o, (pieceBytes) => planSequencePieces(r, pieceBytes));
  return buildStages(r, o, dims, root, plan.pieces, plan.costs, plan.extraJs, plan.facts, firstIndex);
}

interface RolePlan {
  pieces: Piece[];
  costs: PieceCost[];
  extraJs: (from: number, to: number) => number;
  facts: (name: string) => Facts | undefined;
}

/**
 * Pieces are cut by weight; a piece whose activations are large needs fewer weights to fit a stage. Tries the
 * piece size, then halves of it: the first whose stages are all within the target wins. When none is (one
 * layer's activations alone are too large), the one with the lowest worst stage, without splitting further
 * for less than 4 MiB of gain.
 */
function choosePieceSize(o: SplitOptions, plan: (pieceBytes: number) => RolePlan): RolePlan {
  let best: { plan: RolePlan; worst: number } | undefined;
  for (const div of [1, 2, 4, 8]) {
    const p = plan(o.pieceBytes / div);
    const groups = groupPieces(p.costs, o.calibration, o.target, p.extraJs);
    const worst = Math.max(
      ...groups.map(([s, e]) => estimateStage(p.costs.slice(s, e), o.calibration, p.extraJs(s, e)).peakBytes),
    );
    if (worst <= o.target) return p;
    if (!best || worst < best.worst - 4 * 2 ** 20) best = { plan: p, worst };
  }
  return best!.plan;
}

function planSequencePieces(r: RoleGraph, pieceBytes: number): RolePlan {
  const graph = r.model.graph!;
  const costs: GraphCosts[] = r.scenarios.map((s) =>
    graphCosts(graph, evaluateGraph(graph, s.inputs, r.load), new Map<string, TensorProto>()),
  );
  const base = costs[0]!;
  const ranges: PieceRange[] = planPieces(base, pieceBytes);
  const pieceCosts: PieceCost[] = ranges.map(({ from, to }) => {
    const live = costs.map((c) => activationPeak(c, from, to));
    return {
      weightBytes: weightBytesOf(base, from, to),
      activation: Math.max(...live.map((l) => l.peak)),
      ioBytes: Math.max(...live.map((l) => l.inputBytes + l.outputBytes)),
    };
  });
  // Cut once into all pieces; names are kept, so pieces chain by name within and across stages.
  const pieceOfNode = new Map(
    base.nodes.flatMap((c, i) => [[c.node, ranges.findIndex((p) => i >= p.from && i < p.to)] as const]),
  );
  const typeOf = (name: string) => {
    const f = lookup(base.facts, name);
    if (!f) throw new Error(`no facts for ${name}`);
    return { type: f.type, dims: null };
  };
  const pieces = cutGraph(graph, (n) => pieceOfNode.get(n)!, ranges.length, { typeOf });
  return { pieces, costs: pieceCosts, extraJs: () => 0, facts: (name: string) => lookup(base.facts, name) };
}

function planDecoder(r: RoleGraph, o: SplitOptions, dims: ModelDims, root: string): PlannedRole {
  const plan = choosePieceSize(o, (pieceBytes) => planDecoderPieces(r, pieceBytes));
  return buildStages(r, o, dims, root, plan.pieces, plan.costs, plan.extraJs, plan.facts);
}

function planDecoderPieces(r: RoleGraph, pieceBytes: number): RolePlan {
  const graph = r.model.graph!;
  const ifNode = graph.node[0]!;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  // Scenario 0 is the first step (no-past branch), scenario 1 a step with the full cache (with-past branch).
  const [first, full] = r.scenarios.map((s) => evaluateGraph(graph, s.inputs, r.load));
  const elseFacts = first!.subgraphs.get(ifNode)!;
  const thenFacts = full!.subgraphs.get(ifNode)!;
  const thenCosts = graphCosts(thenFacts.graph, thenFacts, inits);
  const elseCosts = graphCosts(elseFacts.graph, elseFacts, inits);
  const cuts = planDecoderCuts(thenCosts, elseCosts, inits, pieceBytes);
  const branchFacts = { then: thenFacts, else: elseFacts };
  const pieces = cutMergedDecoder(r.model, {
    cuts: { then: cuts.then, else: cuts.else },
    typeOf: (b, name) => {
      const f = lookup(branchFacts[b], name);
      if (!f) throw new Error(`no facts for ${b}-branch value ${name}`);
      return f.type;
    },
  });
  const positions = (c: GraphCosts, raw: number[]) => [
    0,
    ...raw.map((x) => c.nodes.filter((n) => c.graph.node.indexOf(n.node) < x).length),
    c.nodes.length,
  ];
  const tp = positions(thenCosts, cuts.then);
  const ep = positions(elseCosts, cuts.else);
  const slots = new Map(pieces.flatMap((p) => [...p.slots]));
  const facts = (name: string): Facts | undefined => {
    const slot = slots.get(name);
    return slot
      ? lookup(branchFacts[slot.branch], slot.value)
      : (lookup(full!, name) ?? lookup(first!, name));
  };
  const cacheBytes = pieces.map((p) =>
    [...p.inputs, ...p.outputs]
      .filter((n) => CACHE.test(n))
      .reduce((a, n) => a + bytesOf(lookup(full!, n) ?? lookup(first!, n) ?? { type: 1, dims: [] }), 0),
  );
  const pieceCosts: PieceCost[] = pieces.map((p, i) => {
    const live = [
      activationPeak(thenCosts, tp[i]!, tp[i + 1]!),
      activationPeak(elseCosts, ep[i]!, ep[i + 1]!),
    ];
    return {
      weightBytes: [...cuts.weights[i]!].reduce((a, w) => a + (thenCosts.weightBytes.get(w) ?? 0), 0),
      activation: Math.max(...live.map((l) => l.peak)),
      ioBytes: Math.max(...live.map((l) => l.inputBytes + l.outputBytes)) - cacheBytes[i]! / 2,
    };
  });
  return {
    pieces,
    costs: pieceCosts,
    extraJs: (s, e) => cacheBytes.slice(s, e).reduce((a, b) => a + b, 0),
    facts,
  };
}

function buildStages(
  r: RoleGraph,
  o: SplitOptions,
  dims: ModelDims,
  root: string,
  pieces: Piece[],
  pieceCosts: PieceCost[],
  extraJs: (from: number, to: number) => number,
  facts: (name: string) => Facts | undefined,
  firstIndex = 0,
): PlannedRole {
  const graph = r.model.graph!;
  const groups = groupPieces(pieceCosts, o.calibration, o.target, extraJs);
  const dimsOf = (name: string) => facts(name)?.dims;
  const spec = (name: string): TensorSpec => {
    const f = facts(name);
    return { name, type: f ? elemName(f.type) : "float32", dims: f?.dims ?? [] };
  };
  const stages: Stage[] = [];
  groups.forEach(([s, e], k) => {
    const id = `${r.role}-${k + firstIndex}`;
    const entries = pieces.slice(s, e).map((p, i) =>
      writePiece(p.graph, {
        root,
        dir: `stages/${id}`,
        id: `p${s + i}`,
        chunkBytes: o.chunkBytes,
        source: r.model,
        load: r.load,
        dimsOf,
      }),
    );
    const made = new Set(pieces.slice(s, e).flatMap((p) => p.outputs));
    const later = new Set(pieces.slice(e).flatMap((p) => p.inputs));
    const roleOutputs = new Set(graph.output.map((x) => x.name));
    let inputs = [...new Set(pieces.slice(s, e).flatMap((p) => p.inputs))].filter((n) => !made.has(n));
    let outputs = [...made].filter((n) => later.has(n) || roleOutputs.has(n));
    let program: StageProgram;
    if (r.role === "decoder") {
      inputs = inputs.filter((n) => !CACHE.test(n) && !DECODER_FED.has(n));
      outputs = outputs.filter((n) => !CACHE.test(n));
      program = {
        kind: "decoder",
        graphs: entries.map((g) => g.id),
        heads: dims.heads,
        headDim: dims.headDim,
        dModel: dims.dModel,
        sharedCross: crossBroadcasts(r.model),
      };
    } else {
      program = {
        kind: "sequence",
        steps: entries.map((g, i) => {
          const readLater = new Set([...pieces.slice(s + i + 1, e).flatMap((p) => p.inputs), ...outputs]);
          const seen = new Set([...inputs, ...pieces.slice(s, s + i + 1).flatMap((p) => p.outputs)]);
          return { kind: "graph" as const, graph: g.id, drop: [...seen].filter((n) => !readLater.has(n)) };
        }),
      };
    }
    stages.push({
      id,
      role: r.role,
      graphs: entries,
      program,
      inputs: inputs.map(spec),
      outputs: outputs.map(spec),
      estimate: estimateStage(pieceCosts.slice(s, e), o.calibration, extraJs(s, e)),
    });
  });
  return { stages, scenarios: stages.map(() => r.scenarios.map((x) => x.name).join("; ")) };
}

function elemName(t: number): TensorSpec["type"] {
  const names: Record<number, TensorSpec["type"]> = {
    1: "float32",
    7: "int64",
    6: "int32",
    9: "bool",
    2: "uint8",
    3: "int8",
  };
  const n = names[t];
  if (!n) throw new Error(`unsupported element type ${t} at a stage boundary`);
  return n;
}
