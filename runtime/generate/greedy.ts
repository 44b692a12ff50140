import { argmax } from "./argmax";
import { checkLogits } from "./check-logits";
import type { GenerationConfig } from "./config";
import { maxLengthOf } from "./config";
import { applyLogitsProcessors, buildLogitsProcessors } from "./logits-processors";
import type { GenerateHooks, GenerateResult } from "./result";
import type { DecoderStepper } from "./stepper";

/** HF greedy search (`_sample` with do_sample false): processors on raw logits, argmax, stop at EOS or max_length. */
export async function greedySearch(
  stepper: DecoderStepper,
  config: GenerationConfig,
  { onStep, signal }: GenerateHooks = {},
): Promise<GenerateResult> {
  const processors = buildLogitsProcessors(config);
  const maxLength = maxLengthOf(config);
  const tokens = [config.decoderStartTokenId];
  let steps = 0;
  while (tokens.length < maxLength) {
    signal?.throwIfAborted();
    const logits = await stepper.step(Int32Array.of(tokens[tokens.length - 1]!)); // run the decoder
    signal?.throwIfAborted();
    checkLogits(logits, 1, stepper.vocabSize);
    steps++;
    const row = logits.subarray(0, stepper.vocabSize);
    applyLogitsProcessors(processors, tokens, row); // n-gram ban, forced BOS/EOS
    const next = argmax(row); // pick
    tokens.push(next);
    onStep?.({ step: steps, maxNewTokens: config.maxNewTokens, tokens, final: true });
    if (next === config.eosTokenId) break; // stop at EOS
  }
  return { tokens, steps };
}
