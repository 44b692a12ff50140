// Which WeightScales entry drew each initializer of a language graph, read from the names the builders give
// (state-dict keys for biases and tables, the consuming node's module for `onnx::MatMul_N` weights). Every
// drawn tensor is std × N(0, 1) from its own fork, so a graph built once at unit scales and multiplied per kind
// equals (to 1 ulp) a graph built at those scales: the tuner rebuilds nothing per candidate.
import { walkNodes, type GraphProto } from "../../onnx-graph";
import type { WeightScales } from "../../synthetic-model/presets";

export type TextScaleKind = "tokenEmbedding" | "positions" | "selfAttention" | "crossAttention" | "ffn";

/** Fixed tensors (LayerNorm ones/zeros, final_logits_bias): not drawn, never scaled. */
const FIXED = /(layer_?norm[^.]*\.(weight|bias)|final_logits_bias)(_merged_\d+)?$/;

function kindOfModule(module: string): TextScaleKind | undefined {
  if (module.includes(".self_attn.")) return "selfAttention";
  if (module.includes(".encoder_attn.")) return "crossAttention";
  if (/\.fc[12](\/|\.|$)/.test(module)) return "ffn";
  if (module.includes("embed_positions")) return "positions";
  if (module.includes("lm_head") || module.includes("model.shared")) return "tokenEmbedding";
  return undefined;
}

/**
 * initializer name → kind, for every initializer of `graph` that a scale drew. Throws on an initializer it
 * cannot place, so a builder change cannot silently leave a tensor unscaled.
 */
export function scaleKinds(graph: GraphProto): Map<string, TextScaleKind> {
  const readers = new Map<string, string[]>();
  for (const { node } of walkNodes(graph)) {
    for (const input of node.input) readers.set(input, [...(readers.get(input) ?? []), node.name]);
  }
  const kinds = new Map<string, TextScaleKind>();
  for (const t of graph.initializer) {
    if (FIXED.test(t.name)) continue;
    const fromName = kindOfModule(t.name);
    const fromReaders = new Set((readers.get(t.name) ?? []).map(kindOfModule));
    const kind = fromName ?? (fromReaders.size === 1 ? [...fromReaders][0] : undefined);
    if (!kind) throw new Error(`cannot tell which scale drew initializer ${t.name}`);
    kinds.set(t.name, kind);
  }
  return kinds;
}

export function textScales(s: WeightScales): Record<TextScaleKind, number> {
  return {
    tokenEmbedding: s.tokenEmbedding,
    positions: s.positions,
    selfAttention: s.selfAttention,
    crossAttention: s.crossAttention,
    ffn: s.ffn,
  };
}
