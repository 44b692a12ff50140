import { BeamHypotheses } from "./beam-hypotheses";
import type { BeamState } from "./beam-step";
import { advanceBeams } from "./beam-step";
import { checkLogits } from "./check-logits";
import type { GenerationConfig } from "./config";
import { DECODER_PROMPT_LENGTH, maxLengthOf } from "./config";
import { logSoftmaxInPlace } from "./log-softmax";
import { applyLogitsProcessors, buildLogitsProcessors } from "./logits-processors";
import type { GenerateHooks, GenerateResult } from "./result";
import type { DecoderStepper } from "./stepper";
import { TopCandidates } from "./top-k";

/**
 * HF beam search (`_beam_search` with `BeamSearchScorer`, transformers 4.36–4.49, batch 1, one returned
 * sequence). Beam 0 starts at score 0 and the others at -1e9, so the first step only expands beam 0.
 */
export async function beamSearch(
  stepper: DecoderStepper,
  config: GenerationConfig,
  { onStep, signal }: GenerateHooks = {},
): Promise<GenerateResult> {
  const { numBeams, eosTokenId } = config;
  const vocab = stepper.vocabSize;
  const maxLength = maxLengthOf(config);
  const processors = buildLogitsProcessors(config);
  const hypotheses = new BeamHypotheses(
    numBeams,
    config.lengthPenalty,
    config.earlyStopping,
    maxLength,
    DECODER_PROMPT_LENGTH,
  );
  const top = new TopCandidates(2 * numBeams);
  const state: BeamState = {
    sequences: Array.from({ length: numBeams }, () => [config.decoderStartTokenId]),
    scores: new Float32Array(numBeams).fill(-1e9),
    sources: new Array<number>(numBeams).fill(0),
    tokens: new Int32Array(numBeams),
  };
  state.scores[0] = 0;
  let input = Int32Array.of(config.decoderStartTokenId); // first step: one row stands for all (identical) beams
  let steps = 0;
  let done = false;
  while (!done && state.sequences[0]!.length < maxLength) {
    signal?.throwIfAborted();
    const logits = await stepper.step(input); // run the decoder, one row per live beam
    signal?.throwIfAborted();
    checkLogits(logits, input.length, vocab);
    steps++;
    for (let r = 0; r < input.length; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      logSoftmaxInPlace(row); // HF applies the processors to log-probabilities in beam search
      applyLogitsProcessors(processors, state.sequences[r]!, row);
    }
    const rows = input.length;
    top.select(logits, vocab, state.scores, (b) => (rows === 1 ? 0 : b)); // best 2*numBeams (beam, token)
    done = advanceBeams(state, top, hypotheses, eosTokenId, DECODER_PROMPT_LENGTH); // finish EOS, keep the rest
    onStep?.({ step: steps, maxNewTokens: config.maxNewTokens, tokens: state.sequences[0]!, final: false });
    if (done || state.sequences[0]!.length >= maxLength) break;
    const sources = rows === 1 ? state.sources.map(() => 0) : state.sources;
    if (!isIdentity(sources, rows)) await stepper.reorder(sources); // self-attention caches follow their beams
    input = state.tokens.slice();
  }
  return finishBeamSearch(state, hypotheses, done, maxLength, eosTokenId, steps);
}

/**
 * HF `BeamSearchScorer.finalize`: unless the search is done, the running beams compete as hypotheses
 * (length without an EOS); the best one gets an EOS appended if it still fits under max_length.
 */
function finishBeamSearch(
  state: BeamState,
  hypotheses: BeamHypotheses,
  done: boolean,
  maxLength: number,
  eosTokenId: number,
  steps: number,
): GenerateResult {
  if (!done) {
    state.sequences.forEach((tokens, b) =>
      hypotheses.add(tokens, state.scores[b]!, tokens.length - DECODER_PROMPT_LENGTH),
    );
  }
  const best = hypotheses.best();
  if (best === undefined) throw new Error("beam search finished without a hypothesis");
  const tokens = best.tokens.length < maxLength ? [...best.tokens, eosTokenId] : [...best.tokens];
  return { tokens, score: best.score, steps };
}

function isIdentity(sources: readonly number[], rows: number): boolean {
  return sources.length === rows && sources.every((s, i) => s === i);
}
