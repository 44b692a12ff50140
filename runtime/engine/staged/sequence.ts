// Runs a sequence stage: graph steps and band passes in order over the stage's named values, dropping each
// value after its last reader so the stage holds as little as its plan assumed.
import type { SequenceProgram, Step } from "../../../model-splitter/manifest";
import type { InferenceSession, Tensor, TensorConstructor } from "../ort-types";
import { runBandPass } from "./band-pass";
import { fromOrt, toOrt, type NamedTensors } from "./tensors";

/** Called after each step, before its values are dropped (the probe samples memory there). */
export type StepObserver = (step: Step, env: NamedTensors) => void | Promise<void>;

export async function runSequence(
  program: SequenceProgram,
  env: NamedTensors,
  session: (graph: string) => InferenceSession,
  Tensor: TensorConstructor,
  observe?: StepObserver,
): Promise<void> {
  for (const step of program.steps) {
    const s = session(step.graph);
    if (step.kind === "band") {
      await runBandPass(step, env, s, Tensor, step.post ? session(step.post) : undefined);
    } else {
      const feeds: Record<string, Tensor> = {};
      for (const name of s.inputNames) {
        const t = env.get(name);
        if (!t) throw new Error(`graph ${step.graph} needs ${name}, which is not available`);
        feeds[name] = toOrt(Tensor, t);
      }
      const out = await s.run(feeds);
      for (const [name, t] of Object.entries(out)) env.set(name, fromOrt(t));
    }
    await observe?.(step, env);
    for (const name of step.drop) env.delete(name);
  }
}
