// The three language graphs of the synthetic generator, written to disk and run with onnxruntime-node,
// against an independent float64 reference written from the spec (text-reference.ts), against their own
// KV-cache semantics (stepwise with-past == one no-past run), and against the published parameter counts.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttributeType,
  DataType,
  Random,
  outerScopeReferences,
  readModel,
  tensorBytes,
  tensorToArray,
  writeModel,
  type GraphProto,
  type LoadedModel,
  type TensorProto,
} from "../../onnx-graph";
import { PRESETS } from "../../synthetic-model/presets";
import {
  buildDecoder,
  buildDecoderMerged,
  buildEmbedTokens,
  buildEncoder,
  cacheEntries,
  pastName,
  presentName,
} from "../../synthetic-model/text";
import { WeightBook, decoderForward, encoderForward } from "./text-reference";

const preset = PRESETS.tiny;
const T = preset.text;
const HD = T.dModel / T.heads;
const DIMS = { d: T.dModel, heads: T.heads };
const SEED = 20240621;

let embedS: ort.InferenceSession;
let encS: ort.InferenceSession;
let decS: ort.InferenceSession;
const files: Record<"embed" | "encoder" | "decoder", LoadedModel> = {} as never;
let decoderStats: { params: number; elements: number };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "text-graphs-"));
  const rng = new Random(SEED);
  const built = {
    embed: buildEmbedTokens(preset, rng),
    encoder: buildEncoder(preset, rng),
    decoder: buildDecoderMerged(preset, rng),
  };
  decoderStats = built.decoder.stats;
  for (const [k, b] of Object.entries(built)) {
    writeModel(join(dir, `${k}.onnx`), b.model);
    files[k as keyof typeof files] = readModel(join(dir, `${k}.onnx`));
  }
  embedS = await ort.InferenceSession.create(join(dir, "embed.onnx"));
  encS = await ort.InferenceSession.create(join(dir, "encoder.onnx"));
  decS = await ort.InferenceSession.create(join(dir, "decoder.onnx"));
});

afterAll(async () => {
  await Promise.all([embedS?.release(), encS?.release(), decS?.release()]);
});

// ---- helpers ----------------------------------------------------------------------------------------------

const i64 = (v: number[], dims: number[]) => new ort.Tensor("int64", BigInt64Array.from(v.map(BigInt)), dims);
const f32 = (t: ort.Tensor | undefined) => t!.data as Float32Array;

async function embed(ids: number[][]): Promise<ort.Tensor> {
  const out = await embedS.run({ input_ids: i64(ids.flat(), [ids.length, ids[0]!.length]) });
  return out.inputs_embeds!;
}

function io(s: ort.InferenceSession, which: "inputMetadata" | "outputMetadata") {
  return s[which].map((m) => (m.isTensor ? `${m.name} ${m.type} [${m.shape.join(", ")}]` : m.name));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmax(a: Float32Array, from = 0, to = a.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (a[i]! > a[best]!) best = i;
  return best - from;
}

const branch = (g: GraphProto, attr: string) =>
  g.node[0]!.attribute.find((a) => a.name === attr && a.type === AttributeType.GRAPH)!.g!;

/** Encoder input as the runtime builds it: [pseudo image features ‖ prompt embeddings], with a prompt mask. */
async function encoderInputs() {
  const image = new Random(7).normalArray(2 * 4 * T.dModel, 1); // 4 "image" tokens per row
  const prompt = f32(
    await embed([
      [0, 12, 907, 44, 2],
      [0, 300, 2, 1, 1],
    ]),
  ); // row 1: padded prompt
  const S = 9;
  const x = new Float32Array(2 * S * T.dModel);
  for (let b = 0; b < 2; b++) {
    x.set(image.subarray(b * 4 * T.dModel, (b + 1) * 4 * T.dModel), b * S * T.dModel);
    x.set(prompt.subarray(b * 5 * T.dModel, (b + 1) * 5 * T.dModel), (b * S + 4) * T.dModel);
  }
  const mask = [Array(9).fill(1) as number[], [1, 1, 1, 1, 1, 1, 1, 0, 0]];
  return { x, mask, S };
}

async function runEncoder(x: Float32Array, mask: number[][], S: number): Promise<Float32Array> {
  const out = await encS.run({
    inputs_embeds: new ort.Tensor("float32", x, [mask.length, S, T.dModel]),
    attention_mask: i64(mask.flat(), [mask.length, S]),
  });
  expect(out.last_hidden_state!.dims).toEqual([mask.length, S, T.dModel]);
  return f32(out.last_hidden_state);
}

// ---- embed_tokens -----------------------------------------------------------------------------------------

describe("embed_tokens.onnx", () => {
  it("declares input_ids → inputs_embeds as the onnx-community file does", () => {
    expect(io(embedS, "inputMetadata")).toEqual(["input_ids int64 [batch_size, sequence_length]"]);
    expect(io(embedS, "outputMetadata")).toEqual([
      `inputs_embeds float32 [batch_size, sequence_length, ${T.dModel}]`,
    ]);
  });

  it("gathers rows of language_model.model.shared.weight (std = scales.tokenEmbedding)", async () => {
    const table = tensorToArray(
      files.embed.model.graph!.initializer.find((t) => t.name === "language_model.model.shared.weight")!,
    ) as Float32Array;
    expect(table.length).toBe(T.vocabSize * T.dModel);
    const ids = [
      [0, 1, 2, T.vocabSize - 1],
      [50, 764, 765, 3],
    ];
    const out = await embed(ids);
    expect(out.dims).toEqual([2, 4, T.dModel]);
    ids
      .flat()
      .forEach((id, r) =>
        expect(Array.from(f32(out).subarray(r * T.dModel, (r + 1) * T.dModel))).toEqual(
          Array.from(table.subarray(id * T.dModel, (id + 1) * T.dModel)),
        ),
      );
    const std = Math.sqrt(table.reduce((a, v) => a + v * v, 0) / table.length);
    expect(std).toBeGreaterThan(preset.scales.tokenEmbedding * 0.98);
    expect(std).toBeLessThan(preset.scales.tokenEmbedding * 1.02);
  });
});

// ---- encoder ----------------------------------------------------------------------------------------------

describe("encoder_model.onnx", () => {
  it("declares inputs_embeds + attention_mask → last_hidden_state", () => {
    expect(io(encS, "inputMetadata")).toEqual([
      `inputs_embeds float32 [batch_size, encoder_sequence_length, ${T.dModel}]`,
      "attention_mask int64 [batch_size, encoder_sequence_length]",
    ]);
    expect(io(encS, "outputMetadata")).toEqual([
      `last_hidden_state float32 [batch_size, encoder_sequence_length, ${T.dModel}]`,
    ]);
  });

  it("matches the float64 reference encoder (batch of 2, one row padded)", async () => {
    const { x, mask, S } = await encoderInputs();
    const y = await runEncoder(x, mask, S);
    expect(y.every(Number.isFinite)).toBe(true);
    const book = new WeightBook(files.encoder.model.graph!);
    for (let b = 0; b < 2; b++) {
      const ref = encoderForward(
        book,
        Float64Array.from(x.subarray(b * S * T.dModel, (b + 1) * S * T.dModel)),
        mask[b]!,
        T.encoderLayers,
        DIMS,
      );
      expect(maxAbsDiff(y.subarray(b * S * T.dModel, (b + 1) * S * T.dModel), ref)).toBeLessThan(1e-4);
    }
  });

  it("excludes masked keys: changing a padded token's embedding changes no other token's output", async () => {
    const { x, mask, S } = await encoderInputs();
    const y0 = await runEncoder(x, mask, S);
    const x2 = x.slice();
    for (let i = (S + 7) * T.dModel; i < 2 * S * T.dModel; i++) x2[i] = x2[i]! * -3 + 1; // row 1, tokens 7–8 (mask 0)
    const y1 = await runEncoder(x2, mask, S);
    expect(maxAbsDiff(y0.subarray(0, (S + 7) * T.dModel), y1.subarray(0, (S + 7) * T.dModel))).toBeLessThan(
      1e-6,
    );
    // ...while the same change with the mask set to 1 does reach the other tokens.
    const open = [mask[0]!, Array(S).fill(1) as number[]];
    const z0 = await runEncoder(x, open, S);
    const z1 = await runEncoder(x2, open, S);
    expect(
      maxAbsDiff(
        z0.subarray(S * T.dModel, (S + 7) * T.dModel),
        z1.subarray(S * T.dModel, (S + 7) * T.dModel),
      ),
    ).toBeGreaterThan(1e-2);
  });
});

// ---- merged decoder ---------------------------------------------------------------------------------------

describe("decoder_model_merged.onnx", () => {
  it("declares optimum's merged-decoder inputs and outputs, in order", () => {
    const past = cacheEntries(T).map(
      (c) =>
        `${pastName(c.layer, c.side, c.part)} float32 [batch_size, ${T.heads}, ${c.side === "decoder" ? "past_decoder_sequence_length" : "encoder_sequence_length_out"}, ${HD}]`,
    );
    expect(io(decS, "inputMetadata")).toEqual([
      `inputs_embeds float32 [batch_size, decoder_sequence_length, ${T.dModel}]`,
      `encoder_hidden_states float32 [batch_size, encoder_sequence_length, ${T.dModel}]`,
      "encoder_attention_mask int64 [batch_size, encoder_sequence_length]",
      ...past,
      "use_cache_branch bool [1]",
    ]);
    const present = cacheEntries(T).map(
      (c) =>
        `${presentName(c.layer, c.side, c.part)} float32 [batch_size, ${T.heads}, ${c.side === "decoder" ? "past_decoder_sequence_length + 1" : "encoder_sequence_length_out"}, ${HD}]`,
    );
    expect(io(decS, "outputMetadata")).toEqual([
      `logits float32 [batch_size, decoder_sequence_length, ${T.vocabSize}]`,
      ...present,
    ]);
  });

  it("with-past steps reproduce one no-past run over the whole prefix, and the float64 reference", async () => {
    const { x, mask, S } = await encoderInputs();
    const encAll = await runEncoder(x, mask, S);
    const enc = encAll.slice(S * T.dModel); // row 1 (padded) exercises the cross-attention mask
    const encMask = mask[1]!;
    const common = {
      encoder_hidden_states: new ort.Tensor("float32", enc, [1, S, T.dModel]),
      encoder_attention_mask: i64(encMask, [1, S]),
    };
    const empty = Object.fromEntries(
      cacheEntries(T).map((c) => [
        pastName(c.layer, c.side, c.part),
        new ort.Tensor("float32", new Float32Array(0), [1, T.heads, 0, HD]),
      ]),
    );

    const tokens = [2];
    const stepLogits: Float32Array[] = [];
    let cache: Record<string, ort.Tensor> = empty;
    const encoderCache: Record<string, ort.Tensor> = {};
    for (let step = 0; step < 6; step++) {
      const out = await decS.run({
        ...common,
        ...cache,
        inputs_embeds: await embed([[tokens[step]!]]),
        use_cache_branch: new ort.Tensor("bool", Uint8Array.of(step > 0 ? 1 : 0), [1]),
      });
      expect(out.logits!.dims).toEqual([1, 1, T.vocabSize]);
      stepLogits.push(f32(out.logits));
      tokens.push(argmax(f32(out.logits)));
      const next: Record<string, ort.Tensor> = {};
      for (const c of cacheEntries(T)) {
        const present = out[presentName(c.layer, c.side, c.part)]!;
        if (c.side === "decoder") {
          expect(present.dims).toEqual([1, T.heads, step + 1, HD]);
          next[pastName(c.layer, c.side, c.part)] = present;
        } else if (step === 0) {
          expect(present.dims).toEqual([1, T.heads, S, HD]);
          encoderCache[pastName(c.layer, c.side, c.part)] = present;
        } else {
          expect(present.dims).toEqual([0, T.heads, 1, HD]); // optimum's empty constant: keep the first step's
        }
      }
      cache = { ...next, ...encoderCache };
    }

    // One no-past run over the 6 inputs gives, at position k, the logits of step k.
    const prefix = tokens.slice(0, 6);
    const embeds = await embed([prefix]);
    const full = await decS.run({
      ...common,
      ...empty,
      inputs_embeds: embeds,
      use_cache_branch: new ort.Tensor("bool", Uint8Array.of(0), [1]),
    });
    expect(full.logits!.dims).toEqual([1, 6, T.vocabSize]);
    const fullLogits = f32(full.logits);
    stepLogits.forEach((l, k) =>
      expect(maxAbsDiff(l, fullLogits.subarray(k * T.vocabSize, (k + 1) * T.vocabSize))).toBeLessThan(1e-4),
    );

    // The float64 reference, from the no_past branch's weights (read from the outer graph).
    const g = files.decoder.model.graph!;
    const book = new WeightBook(branch(g, "else_branch"), [g]);
    const ref = decoderForward(
      book,
      Float64Array.from(f32(embeds)),
      6,
      Float64Array.from(enc),
      encMask,
      T.decoderLayers,
      DIMS,
    );
    expect(maxAbsDiff(fullLogits, ref)).toBeLessThan(1e-4);
    stepLogits.forEach((l, k) =>
      expect(maxAbsDiff(l, ref.subarray(k * T.vocabSize, (k + 1) * T.vocabSize))).toBeLessThan(1e-4),
    );
  });

  it("is optimum's merge: one If, weights stored once in the outer graph, only shape constants in the branches", () => {
    const model = files.decoder.model;
    const g = model.graph!;
    expect([model.irVersion, model.producerName, g.name]).toEqual([9n, "optimum-onnx", "merged"]);
    expect(g.node.map((n) => [n.opType, n.name, n.input.join()])).toEqual([
      ["If", "optimum::if", "use_cache_branch"],
    ]);
    const thenB = branch(g, "then_branch");
    const elseB = branch(g, "else_branch");
    expect([thenB.name, elseB.name, thenB.input.length, elseB.input.length]).toEqual([
      "with_past",
      "no_past",
      0,
      0,
    ]);

    // Every outer initializer is a weight (rank ≥ 2 or a float vector) renamed <name>_merged_<k>, and no two hold the same data.
    const key = (t: TensorProto) =>
      `${t.dataType}|${t.dims.join("x")}|${Buffer.from(tensorBytes(t)).toString("base64")}`;
    for (const t of g.initializer) {
      expect(t.dims.length >= 2 || (t.dims.length === 1 && t.dataType === DataType.FLOAT), t.name).toBe(true);
      expect(t.name).toMatch(/_merged_\d+$/);
    }
    expect(new Set(g.initializer.map(key)).size).toBe(g.initializer.length);
    for (const b of [thenB, elseB]) {
      for (const t of b.initializer)
        expect(
          t.dims.length === 0 ||
            (t.dims.length === 1 && [DataType.INT64, DataType.INT32].includes(t.dataType)),
        ).toBe(true);
    }

    // Exactly the distinct weights of the two source decoders, each once.
    const rng = new Random(SEED);
    const sources = [
      buildDecoder(preset, rng, { withPast: false }),
      buildDecoder(preset, rng, { withPast: true }),
    ];
    const distinct = new Set(sources.flatMap((s) => s.model.graph!.initializer.map(key)));
    expect(new Set(g.initializer.map(key))).toEqual(distinct);
    expect(decoderStats).toEqual(sources[0]!.stats);

    // Branches read only outer inputs and outer weights; the with-past branch never touches encoder_hidden_states.
    const outer = new Set([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name)]);
    for (const b of [thenB, elseB])
      for (const r of outerScopeReferences(b)) expect(outer.has(r), r).toBe(true);
    expect(outerScopeReferences(thenB).has("encoder_hidden_states")).toBe(false);
    expect(outerScopeReferences(elseB).has("encoder_hidden_states")).toBe(true);
  });

  it("holds a tied lm_head copy: its MatMul operand is the transposed token table", () => {
    const g = files.decoder.model.graph!;
    const book = new WeightBook(branch(g, "else_branch"), [g]);
    const lm = book.linear("language_model.lm_head", false);
    const table = tensorToArray(files.embed.model.graph!.initializer[0]!) as Float32Array;
    expect([lm.inF, lm.outF]).toEqual([T.dModel, T.vocabSize]);
    for (let v = 0; v < T.vocabSize; v += 97)
      for (let c = 0; c < T.dModel; c++) expect(lm.wT[c * T.vocabSize + v]).toBe(table[v * T.dModel + c]);
  });

  it("decodes greedily into varied tokens (the weight scales avoid the repeat-the-input failure)", async () => {
    const { x, mask, S } = await encoderInputs();
    const enc = (await runEncoder(x, mask, S)).slice(0, S * T.dModel);
    const common = {
      encoder_hidden_states: new ort.Tensor("float32", enc, [1, S, T.dModel]),
      encoder_attention_mask: i64(mask[0]!, [1, S]),
    };
    let cache: Record<string, ort.Tensor> = Object.fromEntries(
      cacheEntries(T).map((c) => [
        pastName(c.layer, c.side, c.part),
        new ort.Tensor("float32", new Float32Array(0), [1, T.heads, 0, HD]),
      ]),
    );
    const tokens = [2];
    for (let step = 0; step < 12; step++) {
      const out = await decS.run({
        ...common,
        ...cache,
        inputs_embeds: await embed([[tokens[step]!]]),
        use_cache_branch: new ort.Tensor("bool", Uint8Array.of(step > 0 ? 1 : 0), [1]),
      });
      tokens.push(argmax(f32(out.logits)));
      const next: Record<string, ort.Tensor> = {};
      for (const c of cacheEntries(T))
        if (c.side === "decoder" || step === 0)
          next[pastName(c.layer, c.side, c.part)] = out[presentName(c.layer, c.side, c.part)]!;
      cache = { ...cache, ...next };
    }
    const generated = tokens.slice(1);
    expect(new Set(generated).size).toBeGreaterThanOrEqual(3);
    expect(generated.filter((tok, i) => tok !== tokens[i]).length).toBeGreaterThan(generated.length / 2); // mostly not echoing the input
  });
});

// ---- parameter counts of base ------------------------------------------------------------------------------

describe("base preset parameter counts (shapes only, nothing drawn)", () => {
  const base = PRESETS.base;
  const opts = { materialize: false };
  it("embed_tokens 39,389,952 · encoder 43,316,736 in 99 tensors · decoder 96,890,112 in 160 tensors + final_logits_bias", () => {
    const rng = new Random(1);
    const em = buildEmbedTokens(base, rng, opts);
    const enc = buildEncoder(base, rng, opts);
    const dec = buildDecoder(base, rng, { ...opts, withPast: false });
    const count = (g: GraphProto) =>
      g.initializer.reduce((a, t) => a + t.dims.reduce((x, d) => x * Number(d), 1), 0);
    expect(em.stats.params).toBe(39_389_952);
    expect(enc.stats.params).toBe(43_316_736);
    expect(dec.stats.params).toBe(96_890_112);
    expect(dec.stats.elements).toBe(96_890_112 + 51_289);
    expect(count(em.model.graph!)).toBe(39_389_952);
    expect(count(enc.model.graph!)).toBe(43_316_736);
    expect(count(dec.model.graph!)).toBe(96_890_112 + 51_289);
    expect(enc.model.graph!.initializer.length).toBe(99);
    expect(dec.model.graph!.initializer.length).toBe(161);
  });
});
