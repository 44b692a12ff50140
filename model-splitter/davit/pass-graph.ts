// A group's band graph holds every pass's outputs; each pass runs a copy pruned to its own output.
import { create } from "@bufbuild/protobuf";
import { GraphProtoSchema, NodeProtoSchema, ValueInfoProtoSchema, type GraphProto } from "../../onnx-graph";
import type { GroupGraph } from "./band-graph";

/** The pass graph for one output: pruned to what it needs. */
export function passGraph(group: GroupGraph, output: string): GraphProto {
  const g = cloneGraph(group.graph);
  const statName = output === "band_out" ? undefined : output;
  const post = group.stats.find((s) => s.name === statName)?.post;
  g.output = g.output.filter((o) =>
    statName
      ? o.name === `${statName}.partial` || (post !== undefined && o.name.startsWith(`${statName}.partial.`))
      : o.name === "band_out",
  );
  if (statName && !post) {
    g.output[0]!.name = statName;
    for (const n of g.node) n.output = n.output.map((o) => (o === `${statName}.partial` ? statName : o));
  }
  const needed = new Set(g.output.map((o) => o.name));
  for (let i = g.node.length - 1; i >= 0; i--) {
    const n = g.node[i]!;
    if (n.output.some((o) => needed.has(o))) for (const x of n.input) if (x) needed.add(x);
  }
  g.node = g.node.filter((n) => n.output.some((o) => needed.has(o)));
  const reads = new Set(g.node.flatMap((n) => n.input));
  g.input = g.input.filter((i) => reads.has(i.name));
  g.initializer = g.initializer.filter((t) => reads.has(t.name));
  return g;
}

/** A copy of the graph whose node outputs and graph outputs can be renamed without touching the original. */
function cloneGraph(g: GraphProto): GraphProto {
  return create(GraphProtoSchema, {
    ...g,
    node: g.node.map((n) => create(NodeProtoSchema, { ...n, output: [...n.output] })),
    output: g.output.map((o) => create(ValueInfoProtoSchema, { ...o })),
    input: [...g.input],
    initializer: [...g.initializer],
  });
}
