// The models the engine suites run on, with what each is known to be (dims from how it was built, not from
// the engine), and a deterministic request: pixels, prompt ids, decoder tokens.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../../onnx-graph";
import type { EngineInfo } from "../../runtime/engine/types";
import { readJson, tinyModelDir } from "../helpers/tiny-model";
import { TOY, writeToyFlorence } from "./toy-florence";

export interface ModelUnderTest {
  name: string;
  /** Writes (or finds) the model folder; called once per test file. */
  prepare(): string;
  dims: Pick<EngineInfo, "dModel" | "vocabSize" | "decoderLayers" | "heads" | "headDim">;
  imageSize: number;
  /** Prompt token ids (with <s> … </s>) and decoder tokens after the start token 2. */
  promptIds: number[];
  decoderTokens: number[];
}

export const TOY_MODEL: ModelUnderTest = {
  name: "toy (Florence-2 I/O contract, trivial maths)",
  prepare: () => writeToyFlorence(mkdtempSync(join(tmpdir(), "engine-toy-"))),
  dims: {
    dModel: TOY.dModel,
    vocabSize: TOY.vocabSize,
    decoderLayers: TOY.decoderLayers,
    heads: TOY.heads,
    headDim: TOY.headDim,
  },
  imageSize: TOY.imageSize,
  promptIds: [0, 17, 33, 5, 2],
  decoderTokens: [0, 41, 7, 7, 19, 63],
};

interface TextConfig {
  d_model: number;
  vocab_size: number;
  decoder_layers: number;
  decoder_attention_heads: number;
}

/** The shared tiny synthetic Florence-2 (real architecture, seeded random weights; synthetic-model/). */
export const TINY_MODEL: ModelUnderTest = (() => {
  let dims: ModelUnderTest["dims"] | undefined;
  const model: ModelUnderTest = {
    name: "tiny synthetic Florence-2",
    prepare: () => {
      const dir = tinyModelDir();
      const tc = readJson<{ text_config: TextConfig }>(dir, "config.json").text_config;
      dims = {
        dModel: tc.d_model,
        vocabSize: tc.vocab_size,
        decoderLayers: tc.decoder_layers,
        heads: tc.decoder_attention_heads,
        headDim: tc.d_model / tc.decoder_attention_heads,
      };
      return dir;
    },
    get dims() {
      if (!dims) throw new Error("TINY_MODEL.prepare() must run first");
      return dims;
    },
    imageSize: 768,
    // <s> + a few BPE ids + </s>; decoder tokens include <loc_N> ids (50269 + N is for the full vocabulary, so
    // here ids are chosen inside the tiny vocabulary's added-token range instead).
    promptIds: [0, 300, 411, 52, 2],
    decoderTokens: [0, 1200, 777, 777, 31, 1500],
  };
  return model;
})();

/** Deterministic pixel values in the normalised range the processor produces (about −2..2.6). */
export function testPixels(size: number, seed = 1): Float32Array {
  return new Random(seed).normalArray(3 * size * size, 1);
}

/** The encoder input as the pipeline builds it: [image features, prompt embeddings], mask ones + prompt mask. */
export function encoderInput(
  features: Float32Array,
  promptEmbeds: Float32Array,
  dModel: number,
  promptMask?: number[],
) {
  const imageTokens = features.length / dModel;
  const promptTokens = promptEmbeds.length / dModel;
  const embeds = new Float32Array(features.length + promptEmbeds.length);
  embeds.set(features);
  embeds.set(promptEmbeds, features.length);
  const mask = new BigInt64Array(imageTokens + promptTokens).fill(1n);
  promptMask?.forEach((m, i) => (mask[imageTokens + i] = BigInt(m)));
  return { embeds, mask, seqLen: imageTokens + promptTokens };
}
