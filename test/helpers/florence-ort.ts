// The four graphs of a Florence-2 folder driven directly through onnxruntime-node, following the contract in
// REFERENCE.md §2 (glue as transformers.js does it): an independent path to compare other consumers against.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { readJson } from "./tiny-model";

export interface TextShape {
  layers: number;
  heads: number;
  headDim: number;
  dModel: number;
  vocab: number;
}

export interface FlorenceSessions {
  vision: ort.InferenceSession;
  embed: ort.InferenceSession;
  encoder: ort.InferenceSession;
  decoder: ort.InferenceSession;
  text: TextShape;
  release(): Promise<void>;
}

export async function loadSessions(dir: string): Promise<FlorenceSessions> {
  const open = (name: string) => ort.InferenceSession.create(join(dir, "onnx", `${name}.onnx`));
  const [vision, embed, encoder, decoder] = await Promise.all([
    open("vision_encoder"),
    open("embed_tokens"),
    open("encoder_model"),
    open("decoder_model_merged"),
  ]);
  const tc = readJson<{ text_config: Record<string, number> }>(dir, "config.json").text_config;
  const heads = tc.decoder_attention_heads!;
  const text = {
    layers: tc.decoder_layers!,
    heads,
    headDim: tc.d_model! / heads,
    dModel: tc.d_model!,
    vocab: tc.vocab_size!,
  };
  return {
    vision,
    embed,
    encoder,
    decoder,
    text,
    release: async () => {
      await Promise.all([vision, embed, encoder, decoder].map((s) => s.release()));
    },
  };
}

export const int64 = (values: readonly number[], dims: readonly number[] = [1, values.length]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

export async function embedIds(s: FlorenceSessions, ids: readonly number[]): Promise<ort.Tensor> {
  return (await s.embed.run({ input_ids: int64(ids) })).inputs_embeds!;
}

/** [a, b] along axis 1 of two [1, n, d] tensors. */
export function concatTokens(a: ort.Tensor, b: ort.Tensor): ort.Tensor {
  const d = a.dims[2]!;
  const out = new Float32Array(a.data.length + b.data.length);
  out.set(a.data as Float32Array);
  out.set(b.data as Float32Array, a.data.length);
  return new ort.Tensor("float32", out, [1, a.dims[1]! + b.dims[1]!, d]);
}

export interface Encoded {
  hidden: ort.Tensor;
  mask: ort.Tensor;
}

/** vision → embed prompt → concat → encoder. */
export async function encode(
  s: FlorenceSessions,
  pixelValues: ort.Tensor,
  promptIds: readonly number[],
): Promise<Encoded> {
  const image = (await s.vision.run({ pixel_values: pixelValues })).image_features!;
  const embeds = concatTokens(image, await embedIds(s, promptIds));
  const mask = int64(new Array<number>(embeds.dims[1]!).fill(1));
  const hidden = (await s.encoder.run({ inputs_embeds: embeds, attention_mask: mask })).last_hidden_state!;
  return { hidden, mask };
}

export type Cache = Record<string, ort.Tensor>;

export function emptyCache(t: TextShape): Cache {
  const cache: Cache = {};
  for (let i = 0; i < t.layers; i++) {
    for (const side of ["decoder", "encoder"]) {
      for (const part of ["key", "value"]) {
        cache[`past_key_values.${i}.${side}.${part}`] = new ort.Tensor("float32", new Float32Array(0), [
          1,
          t.heads,
          0,
          t.headDim,
        ]);
      }
    }
  }
  return cache;
}

/**
 * One merged-decoder call. With `cache === undefined` the no-past branch runs on all of `ids`; otherwise the
 * with-past branch runs on the last id. Returns the outputs and the next cache (encoder K/V kept from the
 * first step, as callers must).
 */
export async function decoderStep(s: FlorenceSessions, enc: Encoded, ids: readonly number[], cache?: Cache) {
  const useCache = cache !== undefined;
  const out = await s.decoder.run({
    inputs_embeds: await embedIds(s, useCache ? ids.slice(-1) : ids),
    encoder_hidden_states: enc.hidden,
    encoder_attention_mask: enc.mask,
    use_cache_branch: new ort.Tensor("bool", Uint8Array.of(useCache ? 1 : 0), [1]),
    ...(cache ?? emptyCache(s.text)),
  });
  const next: Cache = {};
  for (let i = 0; i < s.text.layers; i++) {
    for (const side of ["decoder", "encoder"]) {
      for (const part of ["key", "value"]) {
        const keep = useCache && side === "encoder";
        next[`past_key_values.${i}.${side}.${part}`] = keep
          ? cache[`past_key_values.${i}.${side}.${part}`]!
          : out[`present.${i}.${side}.${part}`]!;
      }
    }
  }
  return { out, logits: out.logits!, cache: next };
}

/** Index of the largest of the last position's logits. */
export function argmaxLast(logits: ort.Tensor): number {
  const v = logits.dims[2]!;
  const data = logits.data as Float32Array;
  const base = data.length - v;
  let best = 0;
  for (let j = 1; j < v; j++) if (data[base + j]! > data[base + best]!) best = j;
  return best;
}
