// Drops nodes of a graph whose outputs nothing needs (no graph output depends on them). Exported graphs can
// carry such leftovers; a piece made only of them would have no outputs, which onnxruntime refuses to run.
import type { GraphProto } from "../../onnx-graph";
import { nodeReads } from "./statics";

export function pruneDeadNodes(graph: GraphProto): number {
  const needed = new Set(graph.output.map((o) => o.name));
  const keep = new Set<number>();
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const n = graph.node[i]!;
    if (!n.output.some((o) => o && needed.has(o))) continue;
    keep.add(i);
    for (const r of nodeReads(n)) needed.add(r);
  }
  const before = graph.node.length;
  graph.node = graph.node.filter((_, i) => keep.has(i));
  return before - graph.node.length;
}
