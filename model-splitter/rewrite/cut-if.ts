// Cuts the merged decoder (one If whose branches read the outer weights) into pieces that run one after
// another, each again a merged decoder: piece k is an If on use_cache_branch whose branches are the k-th parts
// of the original branches. Each branch is cut by position; both are cut before the same weights (the layers
// of piece k+1), so a piece holds the same layers on either path. Values crossing a cut become outputs of one
// piece and outer inputs of the next, one slot per value and branch; the branch that does not make a slot's
// value returns an empty tensor there (it is never read: the next piece runs the same branch). An original
// output goes to the piece where the later of the two branches makes it (branches that make it earlier pass
// it through), so every piece's If returns the same outputs on both paths.
import { create } from "@bufbuild/protobuf";
import {
  attributeValue,
  DataType,
  GraphProtoSchema,
  makeAttribute,
  makeTensor,
  NodeProtoSchema,
  renameReferences,
  valueInfo,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "../../onnx-graph";
import { dtypeInfo } from "../../onnx-graph";
import { findStatics, nodeReads, staticClosure } from "../graph/statics";

export type BranchName = "then" | "else";

export interface IfPiece {
  graph: GraphProto;
  inputs: string[];
  outputs: string[];
  /** The branch value each slot output carries. */
  slots: Map<string, { branch: BranchName; value: string }>;
}

export interface IfCutOptions {
  /** Cut positions per branch (indices into the branch's node list), ascending, same count for both. */
  cuts: Record<BranchName, number[]>;
  /** Element type of a branch value. */
  typeOf: (branch: BranchName, name: string) => DataType;
}

function branchOf(ifNode: NodeProto, which: BranchName): GraphProto {
  const a = ifNode.attribute.find((x) => x.name === `${which}_branch`);
  if (!a) throw new Error(`If has no ${which}_branch`);
  return attributeValue(a) as GraphProto;
}

interface BranchPlan {
  graph: GraphProto;
  /** Piece index of each non-static node. */
  pieceOf: Map<NodeProto, number>;
  /** Piece that makes each value (statics: undefined). */
  madeIn: Map<string, number>;
  statics: ReturnType<typeof findStatics>;
}

function planBranch(graph: GraphProto, cuts: number[], outerInits: Set<string>): BranchPlan {
  const statics = findStatics(graph, outerInits);
  const pieceOf = new Map<NodeProto, number>();
  const madeIn = new Map<string, number>();
  graph.node.forEach((n, i) => {
    if (n.output.some((o) => o && statics.producer.get(o) === n)) return;
    const p = cuts.filter((c) => c <= i).length;
    pieceOf.set(n, p);
    for (const o of n.output) if (o) madeIn.set(o, p);
  });
  return { graph, pieceOf, madeIn, statics };
}

export function cutMergedDecoder(model: ModelProto, o: IfCutOptions): IfPiece[] {
  const main = model.graph!;
  const ifNode = main.node.find((n) => n.opType === "If");
  if (!ifNode || main.node.length !== 1)
    throw new Error("expected a merged decoder: one If node in the main graph");
  const count = o.cuts.then.length + 1;
  if (o.cuts.else.length + 1 !== count) throw new Error("both branches need the same number of cuts");
  const outerInits = new Map(main.initializer.map((t) => [t.name, t]));
  const plans: Record<BranchName, BranchPlan> = {
    then: planBranch(branchOf(ifNode, "then"), o.cuts.then, new Set(outerInits.keys())),
    else: planBranch(branchOf(ifNode, "else"), o.cuts.else, new Set(outerInits.keys())),
  };
  const names: BranchName[] = ["then", "else"];
  const outputs = branchOf(ifNode, "then").output.map((x, i) => ({ index: i, outer: ifNode.output[i]! }));
  // Piece of each original output: the later of the two branches' makers (statics go anywhere → 0).
  const outPiece = outputs.map(({ index }) =>
    Math.max(...names.map((b) => plans[b].madeIn.get(plans[b].graph.output[index]!.name) ?? 0)),
  );

  // Values a branch reads in a later piece than the one that makes them, plus outputs made early.
  const crossing = (b: BranchName, p: number): string[] => {
    const plan = plans[b];
    const need = new Set<string>();
    for (const [n, q] of plan.pieceOf) {
      if (q <= p) continue;
      for (const r of nodeReads(n)) if ((plan.madeIn.get(r) ?? Infinity) <= p) need.add(r);
    }
    outputs.forEach(({ index }, k) => {
      const v = plan.graph.output[index]!.name;
      if (outPiece[k]! > p && (plan.madeIn.get(v) ?? Infinity) <= p) need.add(v);
    });
    return [...need];
  };
  const slotName = (p: number, b: BranchName, i: number) => `cut${p}.${b}.${i}`;

  const pieces: IfPiece[] = [];
  for (let p = 0; p < count; p++) {
    const slotsOut = names.flatMap((b) =>
      p < count - 1 ? crossing(b, p).map((v, i) => ({ b, v, name: slotName(p, b, i) })) : [],
    );
    const slotsIn = names.flatMap((b) =>
      p > 0 ? crossing(b, p - 1).map((v, i) => ({ b, v, name: slotName(p - 1, b, i) })) : [],
    );
    const mine = outputs.filter((_, k) => outPiece[k] === p);
    const branches = {} as Record<BranchName, GraphProto>;
    for (const b of names) {
      const plan = plans[b];
      const nodes = [...plan.pieceOf].filter(([, q]) => q === p).map(([n]) => n);
      const reads = new Set(nodes.flatMap(nodeReads));
      const outNames: string[] = [];
      const extra: NodeProto[] = [];
      const here = new Set(nodes.flatMap((n) => n.output));
      const passthrough = (v: string, tag: string): string => {
        // A value made in an earlier piece arrives as this piece's slot input; return it through an Identity.
        const slot = slotsIn.find((s) => s.b === b && s.v === v);
        if (!slot) throw new Error(`${b} branch: ${v} is not available in piece ${p}`);
        const out = `${tag}.pass`;
        extra.push(
          create(NodeProtoSchema, {
            opType: "Identity",
            name: `${tag}/Identity`,
            input: [slot.name],
            output: [out],
          }),
        );
        return out;
      };
      for (const { index } of mine) {
        const v = plan.graph.output[index]!.name;
        if (here.has(v) || plan.statics.values.has(v)) {
          outNames.push(v);
          if (plan.statics.values.has(v)) reads.add(v);
        } else outNames.push(passthrough(v, `piece${p}.${b}.out${index}`));
      }
      for (const s of slotsOut) {
        if (s.b === b) {
          if (here.has(s.v)) outNames.push(s.v);
          else outNames.push(passthrough(s.v, `piece${p}.${b}.${s.name}`));
        } else {
          // The other branch's slot: an empty tensor of the slot's type (never read).
          const empty = `${s.name}.empty.${b}`;
          const t = o.typeOf(s.b, s.v);
          extra.push(constantNode(empty, t));
          outNames.push(empty);
        }
      }
      const statNodes = staticClosure(
        [...reads].filter((r) => plan.statics.values.has(r)),
        plan.statics,
        plan.graph,
      );
      const keep = new Set([...statNodes, ...nodes]);
      const g = create(GraphProtoSchema, {
        name: `${plan.graph.name}_piece${p}`,
        // Copies: the slot renaming below must not touch the original branch's nodes.
        node: [
          ...plan.graph.node
            .filter((n) => keep.has(n))
            .map((n) => create(NodeProtoSchema, { ...n, input: [...n.input], output: [...n.output] })),
          ...extra,
        ],
        initializer: plan.graph.initializer,
        output: outNames.map((n, i) =>
          valueInfo(
            n,
            i < mine.length
              ? elemOf(plan.graph.output[mine[i]!.index]!)
              : o.typeOf(slotsOut[i - mine.length]!.b, slotsOut[i - mine.length]!.v),
            null,
          ),
        ),
      });
      for (const s of slotsIn) if (s.b === b) renameReferences(g, s.v, s.name);
      branches[b] = g;
    }
    const ifOutputs = [...mine.map((x) => x.outer), ...slotsOut.map((s) => s.name)];
    const newIf = create(NodeProtoSchema, {
      opType: "If",
      name: `${ifNode.name}_piece${p}`,
      input: [...ifNode.input],
      output: ifOutputs,
      attribute: [makeAttribute("then_branch", branches.then), makeAttribute("else_branch", branches.else)],
    });
    const refs = new Set(nodeReads(newIf));
    const inputs = main.input.filter((i) => refs.has(i.name));
    const slotInputs = slotsIn.filter((s) => refs.has(s.name));
    const graph = create(GraphProtoSchema, {
      name: `${main.name}_piece${p}`,
      node: [newIf],
      initializer: [...refs].filter((r) => outerInits.has(r)).map((r) => outerInits.get(r)!) as TensorProto[],
      input: [...inputs, ...slotInputs.map((s) => valueInfo(s.name, o.typeOf(s.b, s.v), null))],
      output: [
        ...mine.map((x) => main.output.find((mo) => mo.name === x.outer)!),
        ...slotsOut.map((s) => valueInfo(s.name, o.typeOf(s.b, s.v), null)),
      ],
    });
    pieces.push({
      graph,
      inputs: graph.input.map((i) => i.name),
      outputs: graph.output.map((x) => x.name),
      slots: new Map(slotsOut.map((x) => [x.name, { branch: x.b, value: x.v }])),
    });
  }
  return pieces;
}

function elemOf(vi: ValueInfoProto): DataType {
  const v = vi.type?.value;
  return v?.case === "tensorType" ? v.value.elemType : DataType.FLOAT;
}

function constantNode(name: string, t: DataType): NodeProto {
  const info = dtypeInfo(t);
  return create(NodeProtoSchema, {
    opType: "Constant",
    name: `${name}/Constant`,
    input: [],
    output: [name],
    attribute: [makeAttribute("value", makeTensor(name, new info.array(0), [0], t))],
  });
}
