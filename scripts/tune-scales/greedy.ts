// Greedy decoding through the language graphs of a folder, with onnxruntime-node (2 threads): image
// features ‖ prompt embeddings → encoder → merged decoder with its cache. As the generation config asks:
// decoder start `</s>`, forced `<s>` first, no repeated 3-gram (0 turns it off), stop at `</s>`.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { TextDims } from "../../synthetic-model/presets";
import type { ImageFeatures } from "./image-features";

const EOS = 2;
const BOS = 0;

export interface TextSessions {
  embed: ort.InferenceSession;
  encoder: ort.InferenceSession;
  decoder: ort.InferenceSession;
  release(): Promise<void>;
}

export async function openTextSessions(dir: string): Promise<TextSessions> {
  const open = (n: string) =>
    ort.InferenceSession.create(join(dir, `${n}.onnx`), { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const [embed, encoder, decoder] = [
    await open("embed_tokens"),
    await open("encoder_model"),
    await open("decoder_model_merged"),
  ];
  return {
    embed,
    encoder,
    decoder,
    release: async () => void (await Promise.all([embed, encoder, decoder].map((s) => s.release()))),
  };
}

const ids64 = (ids: readonly number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);

export interface Generation {
  /** Generated ids after the decoder start (the forced `<s>` first). */
  tokens: number[];
  /** Step at which `</s>` was generated (1-based, counting the forced `<s>`), or undefined. */
  eosStep?: number;
  /** Mean softmax probability of the chosen token (how peaked the distribution is). */
  meanTopProb: number;
  /** Largest |value| seen in the encoder output, logits and self-attention keys; NaN if any was not finite. */
  maxAbs: number;
}

function maxAbsOf(data: Float32Array, prev: number): number {
  let m = prev;
  for (const v of data) {
    if (!Number.isFinite(v)) return Number.NaN;
    if (Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}

/** Tokens that would repeat an n-gram already in `seq` (transformers' no_repeat_ngram_size). */
function bannedTokens(seq: readonly number[], n: number): Set<number> {
  const banned = new Set<number>();
  if (n <= 0 || seq.length < n) return banned;
  const prefix = seq.slice(seq.length - n + 1);
  for (let i = 0; i + n <= seq.length; i++) {
    if (prefix.every((p, k) => seq[i + k] === p)) banned.add(seq[i + n - 1]!);
  }
  return banned;
}

export interface Encoded {
  hidden: ort.Tensor;
  mask: ort.Tensor;
  maxAbs: number;
}

/** [image features ‖ prompt embeddings] through the encoder. */
export async function encode(
  s: TextSessions,
  text: TextDims,
  image: ImageFeatures,
  promptIds: readonly number[],
): Promise<Encoded> {
  const d = text.dModel;
  const prompt = (await s.embed.run({ input_ids: ids64(promptIds) })).inputs_embeds!.data as Float32Array;
  const S = image.tokens + promptIds.length;
  const x = new Float32Array(S * d);
  x.set(image.data);
  x.set(prompt, image.tokens * d);
  const mask = ids64(new Array<number>(S).fill(1));
  const hidden = (
    await s.encoder.run({ inputs_embeds: new ort.Tensor("float32", x, [1, S, d]), attention_mask: mask })
  ).last_hidden_state!;
  return { hidden, mask, maxAbs: maxAbsOf(hidden.data as Float32Array, 0) };
}

export type Cache = Record<string, ort.Tensor>;

export function emptyCache(text: TextDims): Cache {
  const hd = text.dModel / text.heads;
  const cache: Cache = {};
  for (let l = 0; l < text.decoderLayers; l++) {
    for (const side of ["decoder", "encoder"]) {
      for (const part of ["key", "value"]) {
        cache[`past_key_values.${l}.${side}.${part}`] = new ort.Tensor("float32", new Float32Array(0), [
          1,
          text.heads,
          0,
          hd,
        ]);
      }
    }
  }
  return cache;
}

/** One decoder step on `token` after the cached prefix (first step: cache = emptyCache, first = true). */
export async function step(s: TextSessions, enc: Encoded, cache: Cache, token: number, first: boolean) {
  const out = await s.decoder.run({
    ...cache,
    inputs_embeds: (await s.embed.run({ input_ids: ids64([token]) })).inputs_embeds!,
    encoder_hidden_states: enc.hidden,
    encoder_attention_mask: enc.mask,
    use_cache_branch: new ort.Tensor("bool", Uint8Array.of(first ? 0 : 1), [1]),
  });
  const next: Cache = {};
  for (const key of Object.keys(cache)) {
    next[key] =
      !first && key.includes(".encoder.") ? cache[key]! : out[key.replace("past_key_values", "present")]!;
  }
  return {
    logits: out.logits!.data as Float32Array,
    selfKey: out["present.0.decoder.key"]!.data as Float32Array,
    cache: next,
  };
}

export async function greedy(
  s: TextSessions,
  text: TextDims,
  image: ImageFeatures,
  promptIds: readonly number[],
  maxNewTokens: number,
  noRepeatNgram = 3,
): Promise<Generation> {
  const enc = await encode(s, text, image, promptIds);
  let maxAbs = enc.maxAbs;
  let cache = emptyCache(text);
  const seq = [EOS];
  let topProb = 0;
  let eosStep: number | undefined;
  for (let i = 0; i < maxNewTokens; i++) {
    const out = await step(s, enc, cache, seq.at(-1)!, i === 0);
    cache = out.cache;
    const logits = out.logits;
    maxAbs = maxAbsOf(logits, maxAbsOf(out.selfKey, maxAbs));
    const banned = bannedTokens(seq, noRepeatNgram);
    let best = -1;
    for (let j = 0; j < logits.length; j++) {
      if ((best < 0 || logits[j]! > logits[best]!) && !banned.has(j)) best = j;
    }
    if (i === 0) best = BOS;
    let z = 0;
    for (const v of logits) z += Math.exp(v - logits[best]!);
    topProb += 1 / z;
    seq.push(best);
    if (best === EOS) {
      eosStep = i + 1;
      break;
    }
  }
  const tokens = seq.slice(1);
  return {
    tokens,
    ...(eosStep !== undefined ? { eosStep } : {}),
    meanTopProb: topProb / tokens.length,
    maxAbs,
  };
}
