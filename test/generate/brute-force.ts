/**
 * The independent reference: score every possible output sequence directly from the rules of HF `generate()`
 * for Florence-2's processors, without any beam machinery.
 *
 * A token's score after a prefix is its log-probability under the model (log-softmax of the raw logits), except:
 * - when the prefix has max_length - 1 tokens and forced EOS is on: 0 for EOS, impossible otherwise;
 * - else when the prefix is just the decoder start and forced BOS is on: 0 for BOS, impossible otherwise;
 * - else impossible if the token would complete an n-gram (n = no_repeat_ngram_size) already in the prefix.
 * A finished sequence ends with EOS or has max_length tokens; its beam score is
 * sum(token scores) / (length - 1) ** length_penalty (the length after the decoder start, EOS included).
 */
import type { GenerateOptions } from "../../runtime/generate";
import { EOS, type ToyModel } from "./toy-model";

export interface Rules {
  vocabSize: number;
  start: number;
  eos: number;
  forcedBos: number | null;
  forcedEos: number | null;
  ngram: number;
  maxNewTokens: number;
  lengthPenalty: number;
}

/** Florence-2's rules on a toy vocabulary: decoder start 2, forced BOS 0 and EOS, no repeated 3-gram, length penalty 1. */
export function florenceRules(vocabSize: number, maxNewTokens: number, over: Partial<Rules> = {}): Rules {
  return {
    vocabSize,
    start: 2,
    eos: EOS,
    forcedBos: 0,
    forcedEos: EOS,
    ngram: 3,
    maxNewTokens,
    lengthPenalty: 1,
    ...over,
  };
}

/** The generate() options that apply `rules` (the search itself, numBeams and earlyStopping, is the caller's). */
export function generateOptionsOf(rules: Rules): GenerateOptions {
  return {
    maxNewTokens: rules.maxNewTokens,
    lengthPenalty: rules.lengthPenalty,
    forcedBosTokenId: rules.forcedBos,
    forcedEosTokenId: rules.forcedEos,
    noRepeatNgramSize: rules.ngram,
  };
}

export function repeatsNgram(sequence: readonly number[], n: number): boolean {
  if (n < 1 || sequence.length < n) return false;
  const last = sequence.slice(sequence.length - n).join(",");
  for (let j = 0; j + n < sequence.length; j++) if (sequence.slice(j, j + n).join(",") === last) return true;
  return false;
}

/** The score of every token after `prefix`, by the rules above. */
export function tokenScores(model: ToyModel, rules: Rules, prefix: readonly number[]): number[] {
  const maxLength = rules.maxNewTokens + 1;
  const tokens = [...Array(rules.vocabSize).keys()];
  if (rules.forcedEos !== null && prefix.length === maxLength - 1) {
    return tokens.map((t) => (t === rules.forcedEos ? 0 : -Infinity));
  }
  if (rules.forcedBos !== null && prefix.length === 1)
    return tokens.map((t) => (t === rules.forcedBos ? 0 : -Infinity));
  const logits = Array.from(model(prefix));
  const max = Math.max(...logits);
  const logZ = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
  return tokens.map((t) => (repeatsNgram([...prefix, t], rules.ngram) ? -Infinity : logits[t]! - logZ));
}

export function tokenScore(model: ToyModel, rules: Rules, prefix: readonly number[], token: number): number {
  return tokenScores(model, rules, prefix)[token]!;
}

export interface Scored {
  tokens: number[];
  sum: number;
  score: number;
}

/** Every finished sequence with a finite score, best first. */
export function enumerateSequences(model: ToyModel, rules: Rules): Scored[] {
  const maxLength = rules.maxNewTokens + 1;
  const out: Scored[] = [];
  const walk = (prefix: number[], sum: number): void => {
    const scores = tokenScores(model, rules, prefix);
    for (let t = 0; t < rules.vocabSize; t++) {
      const s = sum + scores[t]!;
      if (s === -Infinity) continue;
      const seq = [...prefix, t];
      if (t === rules.eos || seq.length === maxLength) {
        out.push({ tokens: seq, sum: s, score: s / (seq.length - 1) ** rules.lengthPenalty });
      } else {
        walk(seq, s);
      }
    }
  };
  walk([rules.start], 0);
  return out.sort((a, b) => b.score - a.score);
}

/** The beam score of a given output sequence under the rules. */
export function scoreOf(model: ToyModel, rules: Rules, tokens: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < tokens.length; i++) sum += tokenScore(model, rules, tokens.slice(0, i), tokens[i]!);
  return sum / (tokens.length - 1) ** rules.lengthPenalty;
}

/** Greedy reference: follow the best-scoring token (lowest id on ties) until EOS or max_length. */
export function greedyPath(model: ToyModel, rules: Rules): number[] {
  const seq = [rules.start];
  while (seq.length < rules.maxNewTokens + 1) {
    const scores = tokenScores(model, rules, seq);
    let best = 0;
    for (let t = 1; t < rules.vocabSize; t++) if (scores[t]! > scores[best]!) best = t;
    seq.push(best);
    if (best === rules.eos) break;
  }
  return seq;
}
