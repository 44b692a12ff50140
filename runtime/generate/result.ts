export interface GenerateResult {
  /** The output sequence as HF returns it: `[decoderStart, forcedBos, ..., eos]` (EOS absent only if the length
   * limit was hit without a forced EOS). */
  tokens: number[];
  /** Beam search only: the winning hypothesis' normalised score (HF `sequences_scores`). */
  score?: number;
  /** Decoder steps run (stepper.step calls). */
  steps: number;
}

export interface StepEvent {
  /** 1-based count of decoder steps run so far. */
  step: number;
  maxNewTokens: number;
  /** Greedy: the sequence so far (final). Beam search: the best running beam (may still be abandoned). */
  tokens: readonly number[];
  /** True for greedy, where every token is final and can be streamed. */
  final: boolean;
}

export interface GenerateHooks {
  /** Called after every decoder step, for streaming (greedy) or progress (beam search). */
  onStep?: (event: StepEvent) => void;
  /** Checked before and after every decoder step; aborting rejects with the signal's reason. */
  signal?: AbortSignal;
}
