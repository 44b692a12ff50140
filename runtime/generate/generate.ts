import { beamSearch } from "./beam-search";
import type { GenerationConfig } from "./config";
import { FLORENCE2_GENERATION_CONFIG, validateConfig } from "./config";
import { greedySearch } from "./greedy";
import type { GenerateHooks, GenerateResult } from "./result";
import type { DecoderStepper } from "./stepper";

export type GenerateOptions = Partial<GenerationConfig> & GenerateHooks;

/**
 * Florence-2 decoding with HF `generate()` semantics: options default to Florence-2's generation config;
 * numBeams 1 runs greedy search, more runs beam search.
 */
export function generate(stepper: DecoderStepper, options: GenerateOptions = {}): Promise<GenerateResult> {
  const { onStep, signal, ...overrides } = options;
  const config: GenerationConfig = { ...FLORENCE2_GENERATION_CONFIG, ...definedOnly(overrides) };
  validateConfig(config, stepper.vocabSize);
  const hooks: GenerateHooks = { onStep, signal };
  return config.numBeams === 1 ? greedySearch(stepper, config, hooks) : beamSearch(stepper, config, hooks);
}

/** `{ numBeams: undefined }` must not erase the default. */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
