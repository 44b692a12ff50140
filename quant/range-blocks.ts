// Int8 activation ranges per band of map rows in the DaViT stages whose maps are largest (192² and 96² at the
// processor's 768² input). DynamicQuantizeMatMul quantizes its input with one range for the whole tensor; a
// Worker cannot hold those stages' activations whole and runs them in bands of rows (model-splitter/davit), so
// with whole-map ranges every band pass must first be preceded by passes that only gather each MatMul input's
// [min, max] over all bands (≈ half of the banded stages' time, bench/split/results-s4-range-blocks.md). Here
// the model itself quantizes each band of rows with its own range: the MatMul's input is cut into blocks of
// rows, each block gets its own DynamicQuantizeMatMul, and the outputs are joined again:
//
//   a [d0, d1, K] → Reshape [B, -1, K] → Split (axis 0) → B × DynamicQuantizeMatMul → Concat (axis 0)
//     → Reshape [d0, d1, N]   (the target from Gather(Shape(a), [0, 1]) and N: no Slice, so the splitter's
//                              segment classifier still tells window attention from the rest)
//
// A block is the smallest band the splitter can run for that part of a DaViT block (bandUnitRows: one window
// row; for channel attention whole K blocks of its qᵀk sum), so a band is exactly one block and needs no
// statistics. The DaViT structure (segments), the shape evaluator and the band geometry come from
// model-splitter: one definition of where the bands are, shared by the two build steps. Every token is in exactly one block; finer ranges than the whole map's, never coarser (the
// quality is measured in bench/quant). Tokens are in map-row order, or for window attention in window order,
// window rows first: either way a block of rows is a contiguous run. Written for one image per call (the
// runtime's batch); a batch of b images makes each block cover b bands (still correct, coarser ranges).
import { create } from "@bufbuild/protobuf";
import {
  DataType,
  makeAttribute,
  makeTensor,
  NodeProtoSchema,
  type ExternalLoader,
  type GraphProto,
  type NodeProto,
} from "../onnx-graph";
import { bandUnitRows } from "../model-splitter/davit/block-products";
import { RANGE_BLOCK_TAG } from "../model-splitter/davit/range-blocks";
import { findSegments } from "../model-splitter/davit/segments";
import { evaluateGraph, lookup } from "../model-splitter/shapes/evaluate";

export interface RangeBlockOptions {
  /** The processor's image size (the map sizes follow from it). */
  imageSize: number;
  windowSize: number;
  /** Channel attention groups per DaViT stage (num_groups; Florence-2's equal num_heads). */
  groups: number[];
  /** DaViT stages whose map has at least this many rows get per-band ranges (0: none). */
  minHeight: number;
}

export interface RangeBlockReport {
  /** MatMuls given per-block ranges, and the rows of one block, per map height. */
  matmuls: number;
  blockRows: Record<number, number[]>;
}

const i64 = (v: number[]) => BigInt64Array.from(v.map(BigInt));

export function addRangeBlocks(
  graph: GraphProto,
  o: RangeBlockOptions,
  load?: ExternalLoader,
): RangeBlockReport {
  const report: RangeBlockReport = { matmuls: 0, blockRows: {} };
  if (o.minHeight <= 0) return report;
  const segments = findSegments(graph);
  if (segments.length === 0) return report;
  const facts = evaluateGraph(
    graph,
    { pixel_values: { type: DataType.FLOAT, dims: [1, 3, o.imageSize, o.imageSize] } },
    load,
  );
  // Map geometry per stage: the patch embedding's Conv output [1, C, H, W].
  const maps = new Map<number, { channels: number; height: number; width: number }>();
  for (const s of segments) {
    if (s.kind !== "convEmbed") continue;
    const conv = s.nodes.find((n) => n.opType === "Conv")!;
    const [, c, h, w] = lookup(facts, conv.output[0]!)!.dims;
    maps.set(s.stage, { channels: c!, height: h!, width: w! });
  }
  const replace = new Map<NodeProto, NodeProto[]>();
  // The rewrite's constants are added as it goes: on a failure they are taken out again, so a thrown error
  // leaves the graph as it was (quantize-folder.ts then keeps per-map ranges).
  const initializers = graph.initializer.length;
  try {
    for (const seg of segments) {
      const map = maps.get(seg.stage);
      if (!map || map.height < o.minHeight) continue;
      if (seg.kind !== "windowAttention" && seg.kind !== "channelAttention" && seg.kind !== "mlp") continue;
      const groups = o.groups[seg.stage];
      if (seg.kind === "channelAttention" && !groups)
        throw new Error(`range blocks: no channel-attention groups given for DaViT stage ${seg.stage}`);
      const rows =
        seg.kind === "channelAttention"
          ? bandUnitRows(o.windowSize, map.width, map.channels / groups!)
          : o.windowSize;
      if (map.height % rows !== 0 || map.height / rows < 2) continue;
      const blocks = map.height / rows;
      for (const n of seg.nodes) {
        if (n.opType !== "DynamicQuantizeMatMul") continue;
        const a = lookup(facts, n.input[0]!)?.dims;
        const y = lookup(facts, n.output[0]!)?.dims;
        // Only a [d0, d1, K] input covering the whole map (tokens or windows); anything else keeps its range.
        if (!a || !y || a.length !== 3 || a[0]! * a[1]! !== map.height * map.width) continue;
        replace.set(n, rangeBlockNodes(graph, n, blocks, a[2]!, y.at(-1)!));
        report.matmuls++;
        const seen = (report.blockRows[map.height] ??= []);
        if (!seen.includes(rows)) seen.push(rows);
      }
    }
  } catch (e) {
    graph.initializer.length = initializers;
    throw e;
  }
  graph.node = graph.node.flatMap((n) => replace.get(n) ?? [n]);
  return report;
}

/** The nodes replacing DynamicQuantizeMatMul `n` (input [d0, d1, k], `cols` outputs) by `blocks` blocks; adds their constants to `graph`. */
export function rangeBlockNodes(
  graph: GraphProto,
  n: NodeProto,
  blocks: number,
  k: number,
  cols: number,
): NodeProto[] {
  const base = `${n.name || n.output[0]!}${RANGE_BLOCK_TAG}`;
  const out = n.output[0]!;
  const v = (s: string) => `${out}${RANGE_BLOCK_TAG}${s}`;
  const constant = (name: string, values: number[]) => {
    graph.initializer.push(makeTensor(v(name), i64(values), [values.length]));
    return v(name);
  };
  const axis0 = { attribute: [makeAttribute("axis", 0)] };
  const node = (opType: string, name: string, input: string[], output: string[], extra = {}) =>
    create(NodeProtoSchema, { opType, name: `${base}${name}`, input, output, ...extra });
  const parts = Array.from({ length: blocks }, (_, i) => v(`in_${i}`));
  const outs = Array.from({ length: blocks }, (_, i) => v(`out_${i}`));
  const nodes: NodeProto[] = [
    node("Reshape", "Reshape_in", [n.input[0]!, constant("blocks_shape", [blocks, -1, k])], [v("blocks")]),
    node("Split", "Split", [v("blocks"), constant("split", Array(blocks).fill(1))], parts, axis0),
  ];
  parts.forEach((p, i) =>
    nodes.push(
      create(NodeProtoSchema, {
        ...n,
        name: `${base}DynamicQuantizeMatMul_${i}`,
        input: [p, ...n.input.slice(1)],
        output: [outs[i]!],
      }),
    ),
  );
  nodes.push(
    node("Concat", "Concat", outs, [v("joined")], axis0),
    node("Shape", "Shape", [n.input[0]!], [v("shape")]),
    node("Gather", "Gather", [v("shape"), constant("lead", [0, 1])], [v("lead_dims")]),
    node("Concat", "Concat_shape", [v("lead_dims"), constant("cols", [cols])], [v("out_shape")], axis0),
    node("Reshape", "Reshape_out", [v("joined"), v("out_shape")], [out]),
  );
  return nodes;
}
