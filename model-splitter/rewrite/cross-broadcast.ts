// Whether the merged decoder's with-past branch uses past_key_values.*.encoder.* only as MatMul operands
// (directly or through Transposes): MatMul broadcasts over the batch, so one batch-1 copy of the cross K/V
// serves every beam. A Reshape on them (BART exports folding batch into heads) would not: they are then tiled.
import type { ModelProto } from "../../onnx-graph";

export function crossBroadcasts(model: ModelProto): boolean {
  const ifNode = model.graph!.node.find((n) => n.opType === "If");
  const then = ifNode?.attribute.find((a) => a.name === "then_branch")?.g;
  if (!then) return false;
  const readers = (v: string) => then.node.filter((n) => n.input.includes(v));
  const ok = (v: string, depth: number): boolean =>
    depth < 4 &&
    readers(v).length > 0 &&
    readers(v).every(
      (n) => n.opType === "MatMul" || (n.opType === "Transpose" && ok(n.output[0]!, depth + 1)),
    );
  const cross = model.graph!.input.filter((i) => /^past_key_values\.\d+\.encoder\./.test(i.name));
  return cross.length > 0 && cross.every((i) => ok(i.name, 0));
}
