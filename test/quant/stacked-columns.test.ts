// The stacked form of split weights (splitForm "stacked": one batched DynamicQuantizeMatMul over
// [blocks, K, width] instead of one per block + Concat) on the tiny model's merged decoder. The judge is the
// Concat form run by onnxruntime-node: both branches (no past, several tokens; with past, one token), 1 and 3
// rows, must give the same logits and caches, and the fp32 decoder stays close. Block widths that do not
// divide the columns exercise the padded last block.
import { toBinary } from "@bufbuild/protobuf";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { dimsOf, ModelProtoSchema, Random, readModel, walkGraphs, type ModelProto } from "../../onnx-graph";
import type { QuantOptions } from "../../quant/options";
import { quantizeModel } from "../../quant/quantize-model";
import { cosine } from "../../bench/quant/stats";
import { readJson, tinyModelDir } from "../helpers/tiny-model";

const FILE = "decoder_model_merged.onnx";
// tiny: d_model 64, fc1 256 columns (3 blocks of 86: 2 padded), lm_head 1789 (18 blocks of 100: 11 padded).
const SPLIT: Partial<QuantOptions> = { splitAbove: 128, splitBlock: 100 };

interface Text {
  layers: number;
  heads: number;
  headDim: number;
  dModel: number;
}

/** The tiny merged decoder (stored inline), quantized with `options` when given. */
function load(options?: Partial<QuantOptions>): ModelProto {
  const { model, load: loader } = readModel(join(tinyModelDir(), "onnx", FILE));
  if (options) quantizeModel(model, options, loader);
  return model;
}

async function session(m: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(toBinary(ModelProtoSchema, m), { graphOptimizationLevel: "all" });
}

/** Feeds of the no-past call (`tokens` positions) and, from its outputs, of one with-past step. */
function firstFeeds(t: Text, rows: number, tokens: number, encoder: number): Record<string, ort.Tensor> {
  const r = new Random(rows * 100 + tokens);
  const f = (dims: number[]) =>
    new ort.Tensor(
      "float32",
      r.normalArray(
        dims.reduce((a, b) => a * b, 1),
        1,
      ),
      dims,
    );
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: f([rows, tokens, t.dModel]),
    encoder_hidden_states: f([rows, encoder, t.dModel]),
    encoder_attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * encoder).fill(1n), [
      rows,
      encoder,
    ]),
    use_cache_branch: new ort.Tensor("bool", Uint8Array.of(0), [1]),
  };
  for (let i = 0; i < t.layers; i++)
    for (const side of ["decoder", "encoder"])
      for (const part of ["key", "value"])
        feeds[`past_key_values.${i}.${side}.${part}`] = new ort.Tensor("float32", new Float32Array(0), [
          rows,
          t.heads,
          0,
          t.headDim,
        ]);
  return feeds;
}

function nextFeeds(
  t: Text,
  prev: Record<string, ort.Tensor>,
  out: Record<string, ort.Tensor>,
  rows: number,
): Record<string, ort.Tensor> {
  const r = new Random(rows * 7 + 1);
  const feeds: Record<string, ort.Tensor> = {
    ...prev,
    inputs_embeds: new ort.Tensor("float32", r.normalArray(rows * t.dModel, 1), [rows, 1, t.dModel]),
    use_cache_branch: new ort.Tensor("bool", Uint8Array.of(1), [1]),
  };
  for (const name of Object.keys(prev))
    if (name.startsWith("past_key_values.")) feeds[name] = out[name.replace("past_key_values", "present")]!;
  return feeds;
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  expect(b.dims).toEqual(a.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe("stacked column blocks (splitForm: stacked)", () => {
  let t: Text;
  let fp32: ModelProto;
  let concat: ModelProto;
  let stacked: ModelProto;

  beforeAll(() => {
    const tc = readJson<{ text_config: Record<string, number> }>(tinyModelDir(), "config.json").text_config;
    t = {
      layers: tc.decoder_layers!,
      heads: tc.decoder_attention_heads!,
      headDim: tc.d_model! / tc.decoder_attention_heads!,
      dModel: tc.d_model!,
    };
    fp32 = load();
    concat = load({ ...SPLIT, splitForm: "concat" });
    // (?!) matches nothing: the lm_head is stacked too.
    stacked = load({ ...SPLIT, splitForm: "stacked", splitConcat: /(?!)/ });
  });

  it("emits one DynamicQuantizeMatMul per split weight, with a [blocks, K, width] weight; lm_head kept as Concat by default", () => {
    const ops = (m: ModelProto) => [...walkGraphs(m.graph!)].flatMap((v) => v.graph.node);
    const dqmm = (m: ModelProto) => ops(m).filter((n) => n.opType === "DynamicQuantizeMatMul");
    const inits = new Map(m3(stacked).map((x) => [x.name, x]));
    const stackedWeights = dqmm(stacked)
      .map((n) => inits.get(n.input[1]!)!)
      .filter((w) => dimsOf(w).length === 3);
    // 2 fc1 + the lm_head, each read by both If branches.
    expect(new Set(stackedWeights.map((w) => w.name)).size).toBe(t.layers + 1);
    expect(stackedWeights.map((w) => dimsOf(w)).sort()).toContainEqual([18, t.dModel, 100]);
    expect(stackedWeights.map((w) => dimsOf(w))).toContainEqual([3, t.dModel, 86]);
    // The Concat form has one op per block instead: 18 + 3·layers per branch.
    expect(dqmm(concat).length - dqmm(stacked).length).toBe(2 * (18 - 1 + t.layers * (3 - 1)));
    // Default splitConcat keeps the lm_head (which the model splitter looks for) as Concat blocks.
    const mixed = load({ ...SPLIT, splitForm: "stacked" });
    const mixedInits = new Map(m3(mixed).map((x) => [x.name, x]));
    const mixedStacked = dqmm(mixed).filter((n) => dimsOf(mixedInits.get(n.input[1]!)!).length === 3);
    expect(mixedStacked.every((n) => !n.name.includes("lm_head"))).toBe(true);
    expect(new Set(mixedStacked.map((n) => n.input[1])).size).toBe(t.layers);
  });

  for (const rows of [1, 3]) {
    it(`gives the Concat form's logits and caches, both branches, ${rows} row(s) (onnxruntime-node)`, async () => {
      const [sf, sc, ss] = await Promise.all([session(fp32), session(concat), session(stacked)]);
      const first = firstFeeds(t, rows, 3, 23);
      const steps: Record<string, ort.Tensor>[][] = [];
      for (const s of [sf, sc, ss]) {
        const o1 = await s.run(first);
        const o2 = await s.run(nextFeeds(t, first, o1, rows));
        steps.push([o1, o2]);
      }
      for (const k of [0, 1]) {
        const [f, c, st] = steps.map((x) => x[k]!) as [
          Record<string, ort.Tensor>,
          Record<string, ort.Tensor>,
          Record<string, ort.Tensor>,
        ];
        const scale = Math.max(...Array.from(c.logits!.data as Float32Array, Math.abs));
        expect(maxAbsDiff(c.logits!, st.logits!)).toBeLessThanOrEqual(1e-6 * scale);
        for (const name of Object.keys(c).filter((n) => n.startsWith("present.")))
          expect(maxAbsDiff(c[name]!, st[name]!), name).toBeLessThanOrEqual(1e-5);
        // And both are the quantized version of the fp32 decoder, not merely equal to each other.
        expect(cosine(st.logits!.data as Float32Array, f.logits!.data as Float32Array)).toBeGreaterThan(0.99);
      }
      await Promise.all([sf, sc, ss].map((s) => s.release()));
    });
  }
});

function m3(m: ModelProto) {
  return [...walkGraphs(m.graph!)].flatMap((v) => v.graph.initializer);
}
