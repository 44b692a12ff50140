// A toy model folder with the exact I/O contract of the four Florence-2 graphs (REFERENCE.md §2, names, dtypes,
// symbolic dims, optimum's merged-decoder `If` with empty encoder-cache constants in the with-past branch) but
// with trivial maths, built in milliseconds. It is NOT Florence-2: it exists so the engine's plumbing (feeds,
// caches, tiling, reorder, external data) can be tested before and independently of the synthetic model.
//
// The decoder's maths is chosen so that cache mistakes show up in the logits: the self-attention stand-in is a
// running sum over all cached positions (a wrong or stale past changes it), the position table is indexed by
// the past length (a wrong length changes it), and the cross stand-in reads the encoder K/V through the encoder
// mask (a missing or wrong cross cache changes it). Step-by-step with cache equals the no-past run on the
// full prefix, as for a real decoder.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DataType, GraphBuilder, makeModel, Random, writeModel } from "../../onnx-graph";

export const TOY = {
  dModel: 8,
  heads: 2,
  headDim: 4,
  vocabSize: 64,
  decoderLayers: 2,
  imageSize: 48,
  maxPositions: 64,
} as const;

const OPSETS = { opsets: { "": 17 } };
const rnd = (label: string) => new Random(5).fork(label);

function visionEncoder() {
  const { dModel: d } = TOY;
  const g = new GraphBuilder("vision_encoder");
  g.input("pixel_values", DataType.FLOAT, ["batch_size", 3, "height", "width"]);
  const w = g.initializer("conv.weight", rnd("conv").normalArray(d * 3 * 2 * 2, 0.3), [d, 3, 2, 2]);
  const b = g.initializer("conv.bias", rnd("convb").normalArray(d, 0.1), [d]);
  const conv = g.op("Conv", ["pixel_values", w, b], { kernel_shape: [2, 2], strides: [2, 2] }); // 48 → 24×24
  const flat = g.op("Reshape", [conv, g.constant(BigInt64Array.of(0n, BigInt(d), -1n), [3])]);
  const tokens = g.op("Transpose", [flat], { perm: [0, 2, 1] }); // [B, 576, d]
  const mean = g.op("ReduceMean", [tokens], { axes: [1], keepdims: 1 }); // the pooled token comes first
  const all = g.op("Concat", [mean, tokens], { axis: 1 });
  g.op("Tanh", [all], {}, { output: "image_features" });
  g.output("image_features", DataType.FLOAT, ["batch_size", 577, d]);
  return makeModel(g.build(), OPSETS);
}

function embedTokens() {
  const { dModel: d, vocabSize: v } = TOY;
  const g = new GraphBuilder("embed_tokens");
  g.input("input_ids", DataType.INT64, ["batch_size", "sequence_length"]);
  const table = g.initializer("shared.weight", rnd("shared").normalArray(v * d, 1), [v, d]);
  g.op("Gather", [table, "input_ids"], { axis: 0 }, { output: "inputs_embeds" });
  g.output("inputs_embeds", DataType.FLOAT, ["batch_size", "sequence_length", d]);
  return makeModel(g.build(), OPSETS);
}

function encoderModel() {
  const { dModel: d } = TOY;
  const g = new GraphBuilder("encoder_model");
  g.input("inputs_embeds", DataType.FLOAT, ["batch_size", "encoder_sequence_length", d]);
  g.input("attention_mask", DataType.INT64, ["batch_size", "encoder_sequence_length"]);
  const w = g.initializer("enc.weight", rnd("enc").normalArray(d * d, 0.4), [d, d]);
  const m = g.op("Unsqueeze", [
    g.op("Cast", ["attention_mask"], { to: DataType.FLOAT }),
    g.constant(BigInt64Array.of(2n), [1]),
  ]);
  const pooled = g.op(
    "ReduceSum",
    [g.op("Mul", ["inputs_embeds", m]), g.constant(BigInt64Array.of(1n), [1])],
    { keepdims: 1 },
  );
  const mixed = g.op("Add", [
    g.op("MatMul", ["inputs_embeds", w]),
    g.op("Mul", [pooled, g.constant(Float32Array.of(0.01), [])]),
  ]);
  g.op("Tanh", [mixed], {}, { output: "last_hidden_state" });
  g.output("last_hidden_state", DataType.FLOAT, ["batch_size", "encoder_sequence_length", d]);
  return makeModel(g.build(), OPSETS);
}

const past = (l: number, kind: "decoder" | "encoder", kv: "key" | "value") =>
  `past_key_values.${l}.${kind}.${kv}`;
const present = (l: number, kind: "decoder" | "encoder", kv: "key" | "value") => `present.${l}.${kind}.${kv}`;

function decoderMerged() {
  const { dModel: d, heads: h, headDim: hd, vocabSize: v, decoderLayers: layers, maxPositions } = TOY;
  const g = new GraphBuilder("merged");
  g.input("inputs_embeds", DataType.FLOAT, ["batch_size", "decoder_sequence_length", d]);
  g.input("encoder_hidden_states", DataType.FLOAT, ["batch_size", "encoder_sequence_length", d]);
  g.input("encoder_attention_mask", DataType.INT64, ["batch_size", "encoder_sequence_length"]);
  for (let l = 0; l < layers; l++) {
    for (const kv of ["key", "value"] as const)
      g.input(past(l, "decoder", kv), DataType.FLOAT, ["batch_size", h, "past_decoder_sequence_length", hd]);
    for (const kv of ["key", "value"] as const)
      g.input(past(l, "encoder", kv), DataType.FLOAT, ["batch_size", h, "encoder_sequence_length_out", hd]);
  }
  g.input("use_cache_branch", DataType.BOOL, [1]);
  const W = (name: string, rows: number, cols: number, std: number) =>
    g.initializer(name, rnd(name).normalArray(rows * cols, std), [rows, cols]);
  const pos = W("embed_positions.weight", maxPositions, d, 0.5);
  const lmHead = W("lm_head.weight", d, v, 0.8);
  const wts = Array.from({ length: layers }, (_, l) => ({
    k: W(`layers.${l}.k.weight`, d, d, 0.4),
    v: W(`layers.${l}.v.weight`, d, d, 0.4),
    ek: W(`layers.${l}.ek.weight`, d, d, 0.4),
    ev: W(`layers.${l}.ev.weight`, d, d, 0.4),
  }));
  const outerNames = [...g.inputs.map((i) => i.name), ...g.initializers.map((t) => t.name)];

  const branch = (withPast: boolean) => {
    const b = new GraphBuilder(withPast ? "with_past" : "no_past");
    b.reserve(...outerNames);
    const ints = (...xs: number[]) => b.constant(BigInt64Array.from(xs.map(BigInt)), [xs.length]);
    const heads = (x: string) =>
      b.op("Transpose", [b.op("Reshape", [x, ints(0, 0, h, hd)])], { perm: [0, 2, 1, 3] });
    const scalarInt = (x: number) => b.constant(BigInt64Array.of(BigInt(x)), []);
    // Positions continue after the cached length: arange(P, P + T).
    const start = withPast
      ? b.op("Gather", [b.op("Shape", [past(0, "decoder", "key")]), scalarInt(2)], { axis: 0 })
      : scalarInt(0);
    const len = b.op("Gather", [b.op("Shape", ["inputs_embeds"]), scalarInt(1)], { axis: 0 });
    const posIds = b.op("Range", [start, b.op("Add", [start, len]), scalarInt(1)]);
    const mask = b.op("Unsqueeze", [
      b.op("Cast", ["encoder_attention_mask"], { to: DataType.FLOAT }),
      ints(1, 3),
    ]); // [B,1,S,1]
    let hidden = b.op("Add", ["inputs_embeds", b.op("Gather", [pos, posIds], { axis: 0 })]);
    const outs: string[] = [];
    for (let l = 0; l < layers; l++) {
      const k = heads(b.op("MatMul", ["inputs_embeds", wts[l]!.k]));
      const vv = heads(b.op("MatMul", ["inputs_embeds", wts[l]!.v]));
      const pk = withPast ? b.op("Concat", [past(l, "decoder", "key"), k], { axis: 2 }) : k;
      const pv = withPast ? b.op("Concat", [past(l, "decoder", "value"), vv], { axis: 2 }) : vv;
      const both = b.op("Add", [pk, b.op("Mul", [pv, b.constant(Float32Array.of(0.5), [])])]);
      // "Self-attention": a running sum over positions; with a cache only the last position is needed.
      const self = withPast
        ? b.op("ReduceSum", [both, ints(2)], { keepdims: 1 })
        : b.op("CumSum", [both, scalarInt(2)]);
      const ek = withPast
        ? past(l, "encoder", "key")
        : heads(b.op("MatMul", ["encoder_hidden_states", wts[l]!.ek]));
      const ev = withPast
        ? past(l, "encoder", "value")
        : heads(b.op("MatMul", ["encoder_hidden_states", wts[l]!.ev]));
      const cross = b.op("ReduceSum", [b.op("Mul", [b.op("Add", [ek, ev]), mask]), ints(2)], { keepdims: 1 });
      const ctx = b.op("Add", [self, b.op("Mul", [cross, b.constant(Float32Array.of(0.05), [])])]);
      const merged = b.op("Reshape", [b.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }), ints(0, 0, d)]);
      hidden = b.op("Add", [hidden, b.op("Mul", [merged, b.constant(Float32Array.of(0.3), [])])]);
      const encK = withPast ? b.constant(new Float32Array(0), [0, h, 1, hd]) : ek; // optimum's empty constants
      const encV = withPast ? b.constant(new Float32Array(0), [0, h, 1, hd]) : ev;
      outs.push(pk, pv, encK, encV);
    }
    const logits = b.op("MatMul", [b.op("Tanh", [hidden]), lmHead]);
    const names = ["logits", ...outputNames.slice(1)];
    [logits, ...outs].forEach((src, i) => {
      b.op("Identity", [src], {}, { output: `${withPast ? "wp" : "np"}:${names[i]}` });
      b.output(`${withPast ? "wp" : "np"}:${names[i]}`, DataType.FLOAT, null);
    });
    return b.build();
  };

  const outputNames = ["logits"];
  for (let l = 0; l < layers; l++) {
    outputNames.push(
      present(l, "decoder", "key"),
      present(l, "decoder", "value"),
      present(l, "encoder", "key"),
      present(l, "encoder", "value"),
    );
  }
  g.node(
    "If",
    ["use_cache_branch"],
    { then_branch: branch(true), else_branch: branch(false) },
    { outputs: outputNames, name: "optimum::if" },
  );
  g.output("logits", DataType.FLOAT, ["batch_size", "decoder_sequence_length", v]);
  for (let l = 0; l < layers; l++) {
    for (const kv of ["key", "value"] as const)
      g.output(present(l, "decoder", kv), DataType.FLOAT, [
        "batch_size",
        h,
        "past_decoder_sequence_length + 1",
        hd,
      ]);
    for (const kv of ["key", "value"] as const)
      g.output(present(l, "encoder", kv), DataType.FLOAT, [
        "batch_size",
        h,
        "encoder_sequence_length_out",
        hd,
      ]);
  }
  return makeModel(g.build(), OPSETS);
}

/**
 * Writes `onnx/{vision_encoder,embed_tokens,encoder_model,decoder_model_merged}.onnx` under `dir`. embed_tokens
 * and the decoder keep their weights as external data (`<file>_data`), the other two inline, so both loading
 * paths are exercised.
 */
export function writeToyFlorence(dir: string): string {
  const onnx = join(dir, "onnx");
  mkdirSync(onnx, { recursive: true });
  writeModel(join(onnx, "vision_encoder.onnx"), visionEncoder());
  writeModel(join(onnx, "embed_tokens.onnx"), embedTokens(), { externalData: { threshold: 1024 } });
  writeModel(join(onnx, "encoder_model.onnx"), encoderModel());
  writeModel(join(onnx, "decoder_model_merged.onnx"), decoderMerged(), { externalData: { threshold: 1024 } });
  return dir;
}
