// Which DaViT stages run in bands, and the band graphs and passes that replace them. A stage is banded when
// one of its segments, run whole, would need more activation memory than a stage can give; the banded region
// is the prefix of the vision graph up to the end of the last such stage. The rest of the vision graph (from
// the stream value where the region ends) is planned like any other graph, with the small shape values it
// read from the region baked in as constants (the split model is planned for the processor's image size).
import { create } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  makeTensor,
  NodeProtoSchema,
  tensorByteLength,
  valueInfo,
  makeAttribute,
  type ExternalLoader,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from "../../onnx-graph";
import { dtypeInfo } from "../../onnx-graph";
import type { Calibration, StatReduce } from "../manifest";
import { findStatics, nodeReads } from "../graph/statics";
import { pruneDeadNodes } from "../graph/prune";
import { activationPeak, graphCosts, weightBytesOf } from "../plan/costs";
import { estimateStage } from "../plan/estimate";
import { evaluateGraph, lookup, type GraphFacts } from "../shapes/evaluate";
import type { Facts } from "../shapes/facts";
import {
  bandUnitRows,
  buildGroup,
  passGraph,
  type BandContext,
  type GroupGraph,
  type MapGeometry,
} from "./band-builder";
import { collapseRangeBlocks } from "./range-blocks";
import { findSegments, type Segment } from "./segments";

export interface BandPassPlan {
  id: string;
  graph: GraphProto;
  group: GroupGraph;
  /** Map read (a stream value name) and map or statistic written. */
  input: string;
  output: { kind: "map"; name: string } | { kind: "stat"; name: string; reduce: StatReduce; dims: number[] };
  stats: string[];
  weightBytes: number;
  /** Output rows per band for this pass's group. */
  bandRows: number;
  /** Graph run on each band's outputs to give the statistic's partial (see StatSpec.post). */
  post?: GraphProto;
  /** Activation peak of one band run (estimated), and the input + output maps held in JS. */
  activation: number;
  mapBytes: number;
}

export interface BandedVision {
  passes: BandPassPlan[];
  /** Activation peak of the largest pass at that band size. */
  activation: number;
  /** Largest input + output map held in JS by one pass. */
  mapBytes: number;
  boundary: string;
  remainder: GraphProto;
  stages: number;
}

export interface VisionConfig {
  windowSize: number;
  heads: number[];
}

interface Ctx extends BandContext {
  facts: GraphFacts;
}

function readersOf(graph: GraphProto): Map<string, NodeProto[]> {
  const m = new Map<string, NodeProto[]>();
  for (const n of graph.node) for (const r of nodeReads(n)) (m.get(r) ?? m.set(r, []).get(r)!).push(n);
  return m;
}

/** Geometry of the map a segment reads: pixels for the first, else the stage's conv output. */
function mapOf(ctx: Ctx, value: string, stageConv: Map<number, string>, stage: number): MapGeometry {
  if (value === "pixel_values") {
    const [, c, h, w] = lookup(ctx.facts, value)!.dims;
    return { channels: c!, height: h!, width: w! };
  }
  const conv = lookup(ctx.facts, stageConv.get(stage)!)!.dims;
  return { channels: lookup(ctx.facts, value)!.dims[2]!, height: conv[2]!, width: conv[3]! };
}

export interface BandingOptions {
  calibration: Calibration;
  target: number;
  /** Hard limit of a stage: a segment estimated within it runs whole. */
  budget: number;
  /** Band DaViT stages 0..n−1 (undefined: decided by activation size). */
  stages?: number;
  /** Output rows per band (0: the largest multiple of the window that fits). */
  bandRows: number;
  /** Activation ranges of quantized ops in bands (band-graph.ts BandContext.ranges; default global). */
  ranges?: "global" | "local";
  /** Reads the model's external weights (band graphs slice some, Band.splitColumns). */
  load?: ExternalLoader;
}

export function planBandedVision(
  model: GraphProto,
  inputs: Record<string, Facts>,
  inits: Map<string, TensorProto>,
  cfg: VisionConfig,
  o: BandingOptions,
): BandedVision | undefined {
  // Bands are planned on the graph with per-block quantized MatMuls collapsed (range-blocks.ts); what runs
  // after the banded region is cut from the model's own graph.
  const { graph, blocks: blocked, origin } = collapseRangeBlocks(model);
  const facts = evaluateGraph(graph, inputs);
  const statics = findStatics(graph);
  const ctx: Ctx = {
    graph,
    facts,
    statics,
    readers: readersOf(graph),
    inits,
    windowSize: cfg.windowSize,
    heads: cfg.heads,
    ranges: o.ranges,
    blocked,
    load: o.load,
  };
  const segments = findSegments(graph);
  const cal = o.calibration;

  // Stages to band: explicit, or every stage up to the last with a segment that does not fit a stage whole.
  const costs = graphCosts(graph, facts);
  const pos = new Map(costs.nodes.map((c, i) => [c.node, i]));
  let stages = o.stages ?? 0;
  if (o.stages === undefined) {
    const stageConvs = new Map(
      segments
        .filter((x) => x.kind === "convEmbed")
        .map((x) => [x.stage, x.nodes.find((n) => n.opType === "Conv")!.output[0]!]),
    );
    for (const seg of segments) {
      const idx = seg.nodes.map((n) => pos.get(n)).filter((i): i is number => i !== undefined);
      const [from, to] = [Math.min(...idx), Math.max(...idx) + 1];
      // The segment as one whole-graph piece of its own stage: its activations (kernel scratch and run-time
      // weights included), its input and output held in JS, its weights. Whole, every quantized MatMul sees the
      // whole map and no statistics pass recomputes the segment; banded, each pass repeats the group up to its
      // MatMul (DaViT stage 2 at 768²: 2–4 passes per group, ≈ 2× the work). So bands only where a segment
      // cannot run whole within the budget; over the target is acceptable here, the probe measures the stage.
      const live = activationPeak(costs, from, to);
      const whole = estimateStage(
        [
          {
            weightBytes: weightBytesOf(costs, from, to),
            activation: live.peak,
            ioBytes: live.inputBytes + live.outputBytes,
          },
        ],
        cal,
      ).peakBytes;
      // A map of fewer than 4 window rows (stage 3 at 768²: 2) gains little from bands.
      const rows = seg.kind === "convEmbed" ? 0 : mapOf(ctx, seg.input, stageConvs, seg.stage).height;
      if (whole > o.budget && rows >= 4 * cfg.windowSize) stages = Math.max(stages, seg.stage + 1);
    }
  }
  if (stages === 0) return undefined;
  const region = segments.filter((s) => s.stage < stages);
  const boundary = region.at(-1)!.output;

  // Groups: a segment with a halo (patch embedding, depthwise conv) starts a new one.
  const groups: Segment[][] = [];
  for (const seg of region) {
    if (seg.kind === "convEmbed" || seg.kind === "dwConv" || groups.length === 0) groups.push([]);
    groups.at(-1)!.push(seg);
  }
  const stageConv = new Map(
    region
      .filter((s) => s.kind === "convEmbed")
      .map((s) => [s.stage, s.nodes.find((n) => n.opType === "Conv")!.output[0]!]),
  );
  const built = groups.map((segs, g) => {
    const first = segs[0]!;
    const inGeo =
      first.kind === "convEmbed" && first.input !== "pixel_values"
        ? mapOf(ctx, first.input, stageConv, first.stage - 1)
        : mapOf(ctx, first.input, stageConv, first.stage);
    const outGeo = mapOf(ctx, segs.at(-1)!.output, stageConv, first.stage);
    return { segs, group: buildGroup(ctx, `band${g}`, segs, { in: inGeo, out: outGeo }) };
  });

  const passes: BandPassPlan[] = [];
  for (const [g, { segs, group }] of built.entries()) {
    const input = segs[0]!.input;
    const stats = (graph: GraphProto) =>
      graph.input.filter((i) => i.name !== "band_in" && i.name !== "band_mask").map((i) => i.name);
    group.stats.forEach((s, k) => {
      const graph = passGraph(group, s.name);
      passes.push({
        id: `g${g}s${k}`,
        graph,
        group,
        input,
        output: { kind: "stat", name: s.name, reduce: s.reduce, dims: s.dims },
        stats: stats(graph),
        weightBytes: weights(graph),
        bandRows: 0,
        post: s.post,
        activation: 0,
        mapBytes: 0,
      });
    });
    const graph = passGraph(group, "band_out");
    passes.push({
      id: `g${g}`,
      graph,
      group,
      input,
      output: { kind: "map", name: segs.at(-1)!.output },
      stats: stats(graph),
      weightBytes: weights(graph),
      bandRows: 0,
      activation: 0,
      mapBytes: 0,
    });
  }

  for (const p of passes)
    p.mapBytes = mapSize(p.group.input) + mapSize({ ...p.group.output, layout: "tokens" });
  const mapBytes = Math.max(...passes.map((p) => p.mapBytes));
  // Band heights per group: whole windows, and for a running qᵀk whole multiples of the GEMM's K block.
  const bandFactor = cal.bandActivationFactor ?? cal.activationFactor;
  let activation = 0;
  for (const { segs, group } of built) {
    const mine = passes.filter((p) => p.group === group);
    const unit = bandUnit(group, cfg.windowSize);
    const H = group.output.height;
    const resident =
      cal.runtimeBytes +
      cal.residentFactor * mine.reduce((a, p) => a + p.weightBytes, 0) +
      Math.max(...mine.map((p) => p.mapBytes));
    // Bands of a group share one isolate with other groups: aim for half the room for its activations.
    const fits = (rows: number) =>
      resident + bandFactor * Math.max(...mine.map((p) => bandActivation(p, rows))) <=
      cal.runtimeBytes + (o.target - cal.runtimeBytes) / 2 + resident - cal.runtimeBytes;
    // A group whose MatMuls the model quantizes per block of rows runs one block per band.
    const block = blockRows(segs, blocked, H, unit);
    const candidates = block
      ? [block]
      : o.bandRows
        ? [Math.ceil(o.bandRows / unit) * unit]
        : Array.from({ length: Math.floor(H / unit) }, (_, i) => (i + 1) * unit).reverse();
    let rows = Math.min(H, candidates.find(fits) ?? candidates.at(-1) ?? H);
    if (rows <= 0) rows = H;
    if (unit > H) {
      // Whole K blocks do not fit the map: one band, whose product is the original's over all tokens.
      rows = H;
      const n = H * group.output.width;
      for (const p of mine) {
        const stat = group.stats.find((st) => st.name === p.output.name && st.reduce === "sum");
        if (stat?.postForBlock) p.post = stat.post = stat.postForBlock(n);
      }
    }
    for (const p of mine) {
      p.bandRows = rows;
      p.activation = bandActivation(p, rows);
    }
    activation = Math.max(activation, ...mine.map((p) => p.activation));
  }
  return {
    passes,
    activation,
    mapBytes,
    boundary,
    remainder: remainderGraph(
      model,
      facts,
      region.flatMap((s) => s.nodes.flatMap((n) => origin.get(n) ?? [n])),
      boundary,
    ),
    stages,
  };
}

/** Rows of one range block of a group's per-block quantized MatMuls (all must agree), if it has any. */
function blockRows(segs: Segment[], blocked: Map<NodeProto, number>, height: number, unit: number) {
  const rows = new Set(
    segs.flatMap((s) => s.nodes.filter((n) => blocked.has(n)).map((n) => height / blocked.get(n)!)),
  );
  if (rows.size === 0) return undefined;
  const [r] = [...rows];
  if (rows.size > 1 || !Number.isInteger(r) || r! % unit !== 0)
    throw new Error(
      `a band group's per-block quantized MatMuls use blocks of ${[...rows].join(", ")} rows of a ${height}-row map; bands need one size, a multiple of ${unit}`,
    );
  return r!;
}

/** The qᵀk sum is kept in K blocks of tokens (gemmKBlock): bands must hold whole blocks. */
function bandUnit(group: GroupGraph, windowSize: number): number {
  const sum = group.stats.find((s) => s.reduce === "sum");
  return bandUnitRows(windowSize, group.output.width, sum?.dims[2]);
}

function weights(g: GraphProto): number {
  return g.initializer.reduce((a, t) => a + tensorByteLength(t), 0);
}

function mapSize(m: { layout: "tokens" | "nchw"; height: number; width: number; channels: number }): number {
  return m.height * m.width * m.channels * 4;
}

/** Activation peak of a pass graph on a band of `rows` output rows. */
function bandActivation(p: BandPassPlan, rows: number): number {
  const { group } = p;
  const inRows = (rows - 1) * group.rowMap.stride - 0 + group.rowMap.kernel;
  const inputs: Record<string, Facts> = {
    band_in: {
      type: 1,
      dims:
        group.input.layout === "nchw"
          ? [1, group.input.channels, inRows, group.input.width]
          : [1, inRows * group.input.width, group.input.channels],
    },
    band_mask: { type: 1, dims: [inRows] },
  };
  for (const s of group.stats) inputs[s.name] = { type: 1, dims: s.dims };
  const f = evaluateGraph(p.graph, inputs);
  const c = graphCosts(p.graph, f);
  // Without kernel scratch: the band factor was fitted to estimates that did not count it.
  return activationPeak(c, 0, c.nodes.length, { scratch: false }).peak;
}

/** The vision graph after the region: input = the boundary value, region-made shape values as constants. */
function remainderGraph(
  graph: GraphProto,
  facts: GraphFacts,
  regionNodes: NodeProto[],
  boundary: string,
): GraphProto {
  const inRegion = new Set(regionNodes);
  const made = new Set([...inRegion].flatMap((n) => n.output));
  const consts: NodeProto[] = [];
  const done = new Set<string>();
  const rest = graph.node.filter((n) => !inRegion.has(n));
  for (const n of rest) {
    for (const r of nodeReads(n)) {
      if (!made.has(r) || r === boundary || done.has(r)) continue;
      const f = lookup(facts, r);
      if (!f?.value)
        throw new Error(
          `the vision graph after the banded stages reads ${r}, which is neither the stream nor a known small value`,
        );
      done.add(r);
      const t = makeTensor(
        r,
        new (dtypeInfo(f.type).array)(f.value.length).map(
          (_, i) => (f.type === 7 ? BigInt(f.value![i]!) : f.value![i]!) as never,
        ),
        f.dims,
        f.type,
      );
      consts.push(
        create(NodeProtoSchema, {
          opType: "Constant",
          name: `${r}/baked`,
          output: [r],
          attribute: [makeAttribute("value", t)],
        }),
      );
    }
  }
  const boundaryFacts = lookup(facts, boundary)!;
  const g = create(GraphProtoSchema, {
    ...graph,
    node: [...consts, ...rest],
    input: [valueInfo(boundary, boundaryFacts.type, boundaryFacts.dims)],
  });
  pruneDeadNodes(g);
  return g;
}
