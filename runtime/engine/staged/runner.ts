// How the staged engine reaches its stages. In one process (tests, Node) LocalStageRunner runs them directly;
// the Worker deployment plugs in a runner that calls each stage's isolate instead (RPC), with the same
// contract: named tensors in, named tensors out, and a per-request decoder session that keeps its caches
// where the stage runs.
import type { Stage } from "../../../model-splitter/manifest";
import type { NamedTensors, StageTensor } from "./tensors";

export interface DecoderStageSession {
  /** Cache length (tokens fed per row so far). */
  readonly length: number;
  /** One decoding step for `rows` rows: the previous decoder stage's values in, this stage's outputs out. */
  step(inputs: NamedTensors, rows: number): Promise<NamedTensors>;
  /** New row i continues old row sourceRows[i]. */
  reorder(sourceRows: readonly number[]): void;
  dispose(): void;
}

export interface StageRunner {
  /** Runs a sequence stage on its inputs; resolves to its outputs. */
  run(stage: Stage, inputs: NamedTensors): Promise<NamedTensors>;
  /** Opens a request's decoder session on a decoder stage, over encoder states [1, S, d] and mask [1, S]. */
  openDecoder(
    stage: Stage,
    encoderHidden: StageTensor,
    encoderMask: StageTensor,
  ): Promise<DecoderStageSession>;
  release(): Promise<void>;
}
