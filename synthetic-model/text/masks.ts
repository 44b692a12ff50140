// Attention masks and positions built inside the graphs from int64 masks and shapes, as transformers'
// exported BART graphs do: masks are additive, 0 where allowed and float32 finfo.min where not (never -inf,
// so a fully masked row stays finite); positions are BART's learned ones with offset 2.
import { DataType } from "../../onnx-graph";
import { FLOAT32_MIN, type TextExporter } from "./text-exporter";

/** int64 0/1 mask [B, S] → (1 − m)·finfo.min as [B, 1, 1, S] (broadcast over heads and queries). */
export function paddingMask(e: TextExporter, mask: string, module: string): string {
  const m4 = e.op("Unsqueeze", [mask, e.ints([1, 2])], {}, `${module}/Unsqueeze`);
  const mf = e.op("Cast", [m4], { to: DataType.FLOAT }, `${module}/Cast`);
  const inv = e.op("Sub", [e.scalar(1), mf], {}, `${module}/Sub`);
  return e.op("Mul", [inv, e.scalar(FLOAT32_MIN)], {}, `${module}/Mul`);
}

/**
 * Causal mask [T, P + T] for T new queries after P cached positions: query i may see key j iff j ≤ i + P.
 * `t` and `past` are int64 scalars.
 */
export function causalMask(e: TextExporter, t: string, past: string, module: string): string {
  const one = e.scalarInt(1);
  const total = e.op("Add", [past, t], {}, `${module}/Add`);
  const qPos = e.op(
    "Add",
    [e.op("Range", [e.scalarInt(0), t, one], {}, `${module}/Range`), past],
    {},
    `${module}/Add_1`,
  );
  const kPos = e.op("Range", [e.scalarInt(0), total, one], {}, `${module}/Range_1`);
  const rows = e.op("Unsqueeze", [qPos, e.ints([1])], {}, `${module}/Unsqueeze`);
  const cols = e.op("Unsqueeze", [kPos, e.ints([0])], {}, `${module}/Unsqueeze_1`);
  const future = e.op("Greater", [cols, rows], {}, `${module}/Greater`);
  return e.op("Where", [future, e.scalar(FLOAT32_MIN), e.scalar(0)], {}, `${module}/Where`);
}

/**
 * h = LayerNorm_emb(inputs_embeds + P[past + 2 … past + T + 1]): BART's learned positions (table of
 * maxPositions + 2 rows) followed by layernorm_embedding. `past` is an int64 scalar.
 */
export function embedWithPositions(
  e: TextExporter,
  embeds: string,
  past: string,
  prefix: string,
  dModel: number,
  rows: number,
  std: number,
): string {
  const table = e.param(`${prefix}.embed_positions.weight`, [rows, dModel], std);
  const mod = `/${prefix}/embed_positions`;
  const t = e.scalarDim(embeds, 1, `/${prefix}`);
  const end = e.op("Add", [past, t], {}, `${mod}/Add`);
  const positions = e.op("Range", [past, end, e.scalarInt(1)], {}, `${mod}/Range`);
  const offset = e.op("Add", [positions, e.scalarInt(2)], {}, `${mod}/Add_1`);
  const pos = e.op("Gather", [table, offset], { axis: 0 }, `${mod}/Gather`);
  const h = e.op("Add", [embeds, pos], {}, `/${prefix}/Add`);
  return e.layerNorm(h, `${prefix}.layernorm_embedding`, dModel);
}
