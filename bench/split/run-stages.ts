// One pass of a split model's sequence stages in this process, each stage fed the values it names from what
// the earlier stages produced (as the staged engine chains them), timed per stage. Shared by the vision timing
// scripts so they time exactly the same loop.
import type { Stage } from "../../model-splitter/manifest";
import type { LocalStageRunner } from "../../runtime/engine/staged/local-runner";
import { floatTensor, pick, type NamedTensors } from "../../runtime/engine/staged/tensors";

export interface StagePass {
  /** Every value the pass produced, plus the pixel values it started from. */
  env: NamedTensors;
  /** Wall ms per stage, in stage order. */
  ms: number[];
}

export async function runStagesOnce(
  runner: LocalStageRunner,
  stages: readonly Stage[],
  pixels: { pixelValues: Float32Array; dims: readonly number[] },
  beforeStage?: (stage: Stage) => void,
): Promise<StagePass> {
  const env: NamedTensors = new Map([["pixel_values", floatTensor(pixels.pixelValues, [...pixels.dims])]]);
  const ms: number[] = [];
  for (const stage of stages) {
    beforeStage?.(stage);
    const t = performance.now();
    const names = stage.inputs.map((i) => i.name);
    const out = await runner.run(stage, pick(env, names, stage.id));
    ms.push(performance.now() - t);
    for (const [k, v] of out) env.set(k, v);
  }
  return { env, ms };
}
