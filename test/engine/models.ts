// The models the engine suites run on, with what each is known to be (dims from how it was built, not from
// the engine), and a deterministic request: pixels, prompt ids, decoder tokens.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../../onnx-graph";
import type { EngineInfo } from "../../runtime/engine/types";
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
  dims: { dModel: TOY.dModel, vocabSize: TOY.vocabSize, decoderLayers: TOY.decoderLayers, heads: TOY.heads, headDim: TOY.headDim },
  imageSize: TOY.imageSize,
  promptIds: [0, 17, 33, 5, 2],
  decoderTokens: [0, 41, 7, 7, 19, 63],
};

/** Deterministic pixel values in the normalised range the processor produces (about −2..2.6). */
export function testPixels(size: number, seed = 1): Float32Array {
  return new Random(seed).normalArray(3 * size * size, 1);
}

/** The encoder input as the pipeline builds it: [image features, prompt embeddings], mask ones + prompt mask. */
export function encoderInput(features: Float32Array, promptEmbeds: Float32Array, dModel: number, promptMask?: number[]) {
  const imageTokens = features.length / dModel;
  const promptTokens = promptEmbeds.length / dModel;
  const embeds = new Float32Array(features.length + promptEmbeds.length);
  embeds.set(features);
  embeds.set(promptEmbeds, features.length);
  const mask = new BigInt64Array(imageTokens + promptTokens).fill(1n);
  promptMask?.forEach((m, i) => (mask[imageTokens + i] = BigInt(m)));
  return { embeds, mask, seqLen: imageTokens + promptTokens };
}
