// What the decoder does with its input token, at position 2 after `</s> <s>`: feed N random tokens from the
// same prefix and see whether the argmax is the input itself (copying: greedy repeats its input), always the
// same token (an attractor: the input hardly matters), or something that varies with the input.
import { Random } from "../../onnx-graph";
import type { TextDims } from "../../synthetic-model/presets";
import { emptyCache, encode, step, type TextSessions } from "./greedy";
import type { ImageFeatures } from "./image-features";
import { cosine } from "../../bench/quant/stats";

export interface Probe {
  /** Share of inputs whose argmax is the input. */
  copy: number;
  /** Distinct argmaxes over the inputs. */
  distinct: number;
  /** Share of inputs whose argmax is the most common argmax. */
  mode: number;
  /** Mean pairwise cosine of the (centred) logit vectors: near 1, the input hardly matters. */
  cosine: number;
}

function centred(v: Float32Array): Float32Array {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  return v.map((x) => x - m);
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (v[j]! > v[best]!) best = j;
  return best;
}

export async function probeInputDependence(
  s: TextSessions,
  text: TextDims,
  image: ImageFeatures,
  promptIds: readonly number[],
  inputs: number,
): Promise<Probe> {
  const enc = await encode(s, text, image, promptIds);
  let cache = (await step(s, enc, emptyCache(text), 2, true)).cache;
  cache = (await step(s, enc, cache, 0, false)).cache;
  const rng = new Random(7);
  const outs: number[] = [];
  const logits: Float32Array[] = [];
  let copies = 0;
  for (let i = 0; i < inputs; i++) {
    const x = 4 + Math.floor(rng.uniform() * (text.vocabSize - 4));
    const l = (await step(s, enc, cache, x, false)).logits;
    logits.push(centred(l));
    const best = argmax(l);
    outs.push(best);
    if (best === x) copies++;
  }
  const counts = new Map<number, number>();
  for (const o of outs) counts.set(o, (counts.get(o) ?? 0) + 1);
  let cos = 0;
  for (let i = 1; i < logits.length; i++) cos += cosine(logits[i - 1]!, logits[i]!);
  return {
    copy: copies / inputs,
    distinct: counts.size,
    mode: Math.max(...counts.values()) / inputs,
    cosine: cos / (logits.length - 1),
  };
}
