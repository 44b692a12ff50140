// Stages of the banded part of the vision encoder: each band pass becomes a `band` step (manifest BandPass)
// whose graph is written like any piece. Passes of one group stay together; groups go into one stage while
// the estimate fits, else the next stage starts at a group boundary (its input is the previous map).
import type { BandPass, Calibration, Stage, Step, TensorSpec } from "../manifest";
import { estimateStage } from "../plan/estimate";
import { writePiece } from "../write/piece-writer";
import type { ModelProto, ExternalLoader } from "../../onnx-graph";
import type { BandedVision, BandPassPlan } from "./banded-plan";

export interface BandedStageOptions {
  root: string;
  chunkBytes: number;
  calibration: Calibration;
  target: number;
  source: ModelProto;
  load?: ExternalLoader;
}

function bandsOf(height: number, rows: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < height; r += rows) out.push([r, Math.min(height, r + rows)]);
  return out;
}

function toStep(p: BandPassPlan, graphId: string, postId: string | undefined): BandPass {
  const g = p.group;
  return {
    kind: "band",
    graph: graphId,
    ...(postId ? { post: postId } : {}),
    input: p.input,
    layout: g.input.layout,
    inHeight: g.input.height,
    inWidth: g.input.width,
    inChannels: g.input.channels,
    outHeight: g.output.height,
    outWidth: g.output.width,
    rowMap: g.rowMap,
    bands: bandsOf(g.output.height, p.bandRows),
    stats: p.stats,
    output:
      p.output.kind === "map" ? { kind: "map", name: p.output.name, channels: g.output.channels } : p.output,
    drop: [],
  };
}

const mapSpec = (name: string, dims: number[]): TensorSpec => ({ name, type: "float32", dims });

export function bandedStages(bv: BandedVision, o: BandedStageOptions): Stage[] {
  // Passes by group (a group ends with its map pass).
  const groups: BandPassPlan[][] = [[]];
  for (const p of bv.passes) {
    groups.at(-1)!.push(p);
    if (p.output.kind === "map") groups.push([]);
  }
  groups.pop();
  // One "piece" per stage for the memory model: all band graphs' weights stay resident; one band's activations
  // and one group's input and output maps are live at a time.
  const cost = (gs: BandPassPlan[][]) =>
    estimateStage(
      [
        {
          weightBytes: gs.flat().reduce((a, p) => a + p.weightBytes, 0),
          activation: Math.max(...gs.flat().map((p) => p.activation)),
          ioBytes: Math.max(...gs.flat().map((p) => p.mapBytes)),
        },
      ],
      o.calibration,
      0,
      "band",
    );
  const stageGroups: BandPassPlan[][][] = [[]];
  for (const g of groups) {
    const cur = stageGroups.at(-1)!;
    if (cur.length > 0 && cost([...cur, g]).peakBytes > o.target) stageGroups.push([]);
    stageGroups.at(-1)!.push(g);
  }
  return stageGroups.map((gs, k) => {
    const id = `vision-${k}`;
    const passes = gs.flat();
    const write = (g: BandPassPlan["graph"], pid: string) =>
      writePiece(g, {
        root: o.root,
        dir: `stages/${id}`,
        id: pid,
        chunkBytes: o.chunkBytes,
        source: o.source,
        load: o.load,
      });
    const main = passes.map((p) => write(p.graph, p.id));
    const posts = passes.map((p) => (p.post ? write(p.post, `${p.id}post`) : undefined));
    const graphs = [...main, ...posts.filter((x) => x !== undefined)];
    const steps: Step[] = passes.map((p, i) => toStep(p, main[i]!.id, posts[i]?.id));
    // Drop every value after its last reader within the stage, except the stage's output map.
    const last = gs.at(-1)!.at(-1)!;
    const outName = last.output.name;
    const lastRead = new Map<string, number>();
    steps.forEach((s, i) => {
      if (s.kind !== "band") return;
      for (const v of [s.input, ...s.stats]) lastRead.set(v, i);
    });
    for (const [v, i] of lastRead) if (v !== outName) steps[i]!.drop.push(v);
    const first = passes[0]!;
    const inDims =
      first.group.input.layout === "nchw"
        ? [1, first.group.input.channels, first.group.input.height, first.group.input.width]
        : [1, first.group.input.height * first.group.input.width, first.group.input.channels];
    const out = last.group.output;
    return {
      id,
      role: "vision" as const,
      graphs,
      program: { kind: "sequence" as const, steps },
      inputs: [mapSpec(first.input, inDims)],
      outputs: [mapSpec(outName, [1, out.height * out.width, out.channels])],
      estimate: cost(gs),
    };
  });
}
