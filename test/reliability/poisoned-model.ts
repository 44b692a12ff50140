// A copy of the tiny model whose graphs make onnxruntime throw at run time on chosen inputs, and compute
// exactly what the originals compute otherwise. Each graph gets a guard in front of one input:
//   x_checked = x + Gather([0.0], Cast(condition, int64) × 1000)
// The Gather index is 0 (adds 0.0: same values) while the condition is false, and out of bounds when it is
// true, which onnxruntime only finds while running the graph ("indices element out of data bounds"). Every
// use of x, in subgraphs too, reads x_checked instead. The conditions:
//   vision_encoder         max(pixel_values) > VISION_TRIGGER: only an image with (near) pure blue pixels
//                          normalises above 2.55 (blue 255 → 2.64; the test pictures stay under 2.45)
//   decoder_model_merged   past decoder length > DECODER_TRIGGER_STEP: the throw comes mid-generation
// The models travel through R2 like any model folder: nothing in the Worker knows about this.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  DataType,
  makeAttribute,
  makeTensor,
  ModelProtoSchema,
  NodeProtoSchema,
  walkGraphs,
  type GraphProto,
  type NodeProto,
} from "../../onnx-graph";

export const VISION_TRIGGER = 2.55;
/** The decoder throws at the step whose past holds more than this many tokens. */
export const DECODER_TRIGGER_STEP = 3;

function node(
  opType: string,
  inputs: string[],
  output: string,
  attrs: Record<string, number> = {},
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: inputs,
    output: [output],
    name: `guard/${output}`,
    attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
  });
}

/** Every read of `from` in the graph and its subgraphs becomes a read of `to`. */
function renameReads(graph: GraphProto, from: string, to: string): void {
  for (const { graph: g } of walkGraphs(graph)) {
    for (const n of g.node) n.input = n.input.map((i) => (i === from ? to : i));
  }
}

/** Inserts the guard: `condition` (a bool scalar computed by `conditionNodes`) poisons reads of `input`. */
function guard(graph: GraphProto, input: string, conditionNodes: NodeProto[], condition: string): void {
  const checked = `${input}__checked`;
  renameReads(graph, input, checked);
  graph.initializer.push(
    makeTensor("guard/table", Float32Array.of(0), [1]),
    makeTensor("guard/out_of_bounds", BigInt64Array.of(1000n), []),
  );
  graph.node.unshift(
    ...conditionNodes,
    node("Cast", [condition], "guard/cond_i64", { to: DataType.INT64 }),
    node("Mul", ["guard/cond_i64", "guard/out_of_bounds"], "guard/index"),
    node("Gather", ["guard/table", "guard/index"], "guard/zero", { axis: 0 }),
    node("Add", [input, "guard/zero"], checked),
  );
}

export function poisonVisionEncoder(bytes: Uint8Array): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph!;
  graph.initializer.push(makeTensor("guard/trigger", Float32Array.of(VISION_TRIGGER), []));
  guard(
    graph,
    "pixel_values",
    [
      node("ReduceMax", ["pixel_values"], "guard/max", { keepdims: 0 }),
      node("Greater", ["guard/max", "guard/trigger"], "guard/cond"),
    ],
    "guard/cond",
  );
  return toBinary(ModelProtoSchema, model);
}

export function poisonDecoder(bytes: Uint8Array): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph!;
  graph.initializer.push(
    makeTensor("guard/trigger", BigInt64Array.of(BigInt(DECODER_TRIGGER_STEP)), []),
    makeTensor("guard/axis2", BigInt64Array.of(2n), []),
  );
  guard(
    graph,
    "inputs_embeds",
    [
      node("Shape", ["past_key_values.0.decoder.key"], "guard/past_shape"),
      node("Gather", ["guard/past_shape", "guard/axis2"], "guard/past_length", { axis: 0 }),
      node("Greater", ["guard/past_length", "guard/trigger"], "guard/cond"),
    ],
    "guard/cond",
  );
  return toBinary(ModelProtoSchema, model);
}

/** The model folder's objects (R2 keys → bytes) with both graphs poisoned. */
export function poisonModelObjects(objects: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const out = { ...objects };
  const vision = "onnx/vision_encoder.onnx";
  const decoder = "onnx/decoder_model_merged.onnx";
  if (!out[vision] || !out[decoder])
    throw new Error("the model folder has no vision_encoder.onnx / decoder_model_merged.onnx");
  out[vision] = poisonVisionEncoder(out[vision]);
  out[decoder] = poisonDecoder(out[decoder]);
  return out;
}
