// From the DaViT output (B, h·w, C) to image_features (B, 1 + h·w, D): learned 2D absolute positions
// (column half first, then row half), the cosine temporal row for frame 0, the spatial-mean token placed
// before the tokens, the raw `image_projection` matrix (x·W, no bias) and image_proj_norm.
//
// Positions are gathered from the 50-row tables with Range indices computed from the stage-3 shape (rather
// than baked for a 24×24 grid as the published export probably is, ARCHITECTURE §4.5): the graph then stays
// valid for any input up to 50 × 32 px per side, and the file holds the tables under their state-dict names.
// h and w are the stage-3 conv output's own sizes, not √N: the remote code asserts a square map, this graph
// simply also handles non-square inputs the same way (row i, column j).
import type { Exporter } from "../export-ops";
import { dimScalar, dimsOf, type TokenMap } from "./shapes";
import { cosineTemporalTable } from "./temporal-table";

export interface HeadSpec {
  channels: number;
  projectionDim: number;
  maxPositions: number;
  maxTemporal: number;
  positionStd: number;
  projectionStd: number;
}

/** P[i, j] = concat(column[j], row[i]) broadcast to (B, h, w, C), as LearnedAbsolutePositionEmbedding2D. */
function positions2d(ex: Exporter, x: string, s: HeadSpec): string {
  const rowDim = Math.floor(s.channels / 2);
  const rows = ex.param("image_pos_embed.row_embeddings.weight", [s.maxPositions, rowDim], s.positionStd);
  const cols = ex.param(
    "image_pos_embed.column_embeddings.weight",
    [s.maxPositions, s.channels - rowDim],
    s.positionStd,
  );
  const p = "/image_pos_embed";
  const range = (axis: number) => ex.op("Range", [ex.scalarInt(0), dimScalar(ex, x, axis), ex.scalarInt(1)]);
  const xEmb = ex.op("Gather", [cols, range(2)], { axis: 0 }, `${p}/column_embeddings/Gather`); // (w, C−C/2)
  const yEmb = ex.op("Gather", [rows, range(1)], { axis: 0 }, `${p}/row_embeddings/Gather`); // (h, C/2)
  const [h, w] = dimsOf(ex, x, [1, 2]);
  const one = ex.ints([1]);
  const xTiled = ex.op("Tile", [ex.op("Unsqueeze", [xEmb, ex.ints([0])]), ex.shapeOf([h!, one, one])]); // (h, w, ·)
  const yTiled = ex.op("Tile", [ex.op("Unsqueeze", [yEmb, ex.ints([1])]), ex.shapeOf([one, w!, one])]); // (h, w, ·)
  const pos = ex.op("Concat", [xTiled, yTiled], { axis: -1 }, `${p}/Concat`);
  // pos.permute(2, 0, 1).unsqueeze(0).repeat(B, 1, 1, 1).permute(0, 2, 3, 1)
  const [b] = dimsOf(ex, x, [0]);
  const chw = ex.op("Unsqueeze", [ex.transpose(pos, [2, 0, 1]), ex.ints([0])]);
  const batched = ex.op("Tile", [chw, ex.shapeOf([b!, one, one, one])]);
  return ex.transpose(batched, [0, 2, 3, 1]);
}

export function imageHead(ex: Exporter, t: TokenMap, s: HeadSpec): string {
  const [b, c] = dimsOf(ex, t.x, [0, 2]);
  // x.view(B·T, h, w, C) + pos, then x.view(B, T·h·w, C), T = 1.
  const grid = ex.reshape(t.x, ex.shapeOf([b!, t.h, t.w, c!]));
  const withPos = ex.op("Add", [grid, positions2d(ex, grid, s)], {}, "/image_pos_embed/Add");
  const seq = ex.reshape(withPos, ex.shapeOf([b!, ex.ints([-1]), c!]));

  // Temporal embedding rows [0, T) of the cosine buffer, viewed (1, T, 1, C) and added to x viewed (B, T, N, C).
  const table = ex.buffer(
    "visual_temporal_embed.pos_idx_to_embed",
    cosineTemporalTable(s.maxTemporal, s.channels),
    [s.maxTemporal, s.channels],
  );
  const frames = ex.reshape(seq, ex.shapeOf([b!, ex.ints([1, -1]), c!]));
  const [tFrames] = dimsOf(ex, frames, [1]);
  const temporal = ex.op(
    "Slice",
    [table, ex.ints([0]), tFrames!, ex.ints([0]), ex.ints([1])],
    {},
    "/visual_temporal_embed/Slice",
  );
  const temporal4 = ex.reshape(temporal, ex.shapeOf([ex.ints([1]), tFrames!, ex.ints([1]), c!]));
  const z = ex.op("Add", [frames, temporal4], {}, "/visual_temporal_embed/Add");

  // Feature sources [spatial_avg_pool, temporal_avg_pool]: the spatial mean token first, then the tokens.
  const spatial = ex.op("ReduceMean", [z], { axes: [2], keepdims: 0 }, "/spatial_avg_pool/ReduceMean"); // (B, T, C)
  const temporalPool = ex.op("ReduceMean", [z], { axes: [1], keepdims: 0 }, "/temporal_avg_pool/ReduceMean"); // (B, N, C)
  const features = ex.op("Concat", [spatial, temporalPool], { axis: 1 }, "/Concat");

  const w = ex.param("image_projection", [s.channels, s.projectionDim], s.projectionStd);
  const projected = ex.op("MatMul", [features, w], {}, "/MatMul");
  return ex.layerNorm(projected, "image_proj_norm", s.projectionDim);
}
