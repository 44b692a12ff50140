// An ablation of the quantized merged decoder for bench/quant/decoder-step.ts: every weight GEMM
// (DynamicQuantizeMatMul x·W[K,N]) is replaced by a near-free op of the same output shape (the first element
// of each row of x, Expanded to N columns), and the int8 weights are dropped. What is left costs what a
// decoder step costs besides its weight GEMMs — feeding the cache, attention over the encoder states, the
// small ops — the part that int8 weights cannot make faster. Its outputs are meaningless; only its time counts.
//
//   npx tsx bench/quant/decoder-ablation.ts --int8 DIR --out DIR
import { create } from "@bufbuild/protobuf";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  dimsOf,
  makeTensor,
  NodeProtoSchema,
  readModel,
  walkGraphs,
  writeModel,
  type NodeProto,
  type TensorProto,
} from "../../onnx-graph";

const argv = process.argv.slice(2);
const int8 = argv[argv.indexOf("--int8") + 1]!;
const out = argv[argv.indexOf("--out") + 1]!;
const { model, load } = readModel(join(int8, "onnx", "decoder_model_merged.onnx"));
const root = model.graph!;
const inits = new Map<string, TensorProto>();
for (const v of walkGraphs(root)) for (const t of v.graph.initializer) inits.set(t.name, t);
const dropped = new Set<string>();
let replaced = 0;
let k = 0;
for (const v of walkGraphs(root)) {
  const nodes: NodeProto[] = [];
  for (const n of v.graph.node) {
    if (n.opType !== "DynamicQuantizeMatMul") {
      nodes.push(n);
      continue;
    }
    const w = inits.get(n.input[1]!)!;
    const cols = dimsOf(w).at(-1)!;
    for (const i of n.input.slice(1)) if (i) dropped.add(i);
    const id = `ablation_${k++}`;
    const starts = `${id}_starts`;
    const ends = `${id}_ends`;
    const axes = `${id}_axes`;
    const shape = `${id}_shape`;
    v.graph.initializer.push(
      makeTensor(starts, BigInt64Array.of(0n), [1]),
      makeTensor(ends, BigInt64Array.of(1n), [1]),
      makeTensor(axes, BigInt64Array.of(-1n), [1]),
      makeTensor(shape, BigInt64Array.of(1n, 1n, BigInt(cols)), [3]),
    );
    nodes.push(
      create(NodeProtoSchema, {
        name: `${id}_slice`,
        opType: "Slice",
        input: [n.input[0]!, starts, ends, axes],
        output: [`${id}_first`],
      }),
      create(NodeProtoSchema, {
        name: `${id}_expand`,
        opType: "Expand",
        input: [`${id}_first`, shape],
        output: [n.output[0]!],
      }),
    );
    replaced++;
  }
  v.graph.node = nodes;
}
// Drop the weights nothing reads any more.
const read = new Set<string>();
for (const v of walkGraphs(root)) for (const n of v.graph.node) for (const i of n.input) read.add(i);
for (const v of walkGraphs(root))
  v.graph.initializer = v.graph.initializer.filter((t) => !dropped.has(t.name) || read.has(t.name));
mkdirSync(join(out, "onnx"), { recursive: true });
copyFileSync(join(int8, "config.json"), join(out, "config.json"));
writeModel(join(out, "onnx", "decoder_model_merged.onnx"), model, {
  load,
  externalData: { location: "decoder_model_merged.onnx_data" },
});
console.log(`replaced ${replaced} DynamicQuantizeMatMul nodes; wrote ${out}`);
