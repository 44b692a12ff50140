import { describe, expect, it } from "vitest";
import { TASK_TOKENS, isTaskToken } from "../../runtime/prompt";
import { postProcessGeneration } from "../../runtime/task-json";
import { referenceCases } from "../fixtures/reference-postprocess/cases";

// Expected values come from Microsoft's processing_florence2.py run on the same inputs
// (scripts/reference-postprocess/generate_cases.py). Coordinates are compared exactly: the reference
// computes in float32 and so do we.
describe("postProcessGeneration matches the reference processor", () => {
  it.each(referenceCases.postprocess.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    if (!isTaskToken(c.task)) throw new Error(`fixture names unknown task ${c.task}`);
    expect(postProcessGeneration(c.text, c.task, c.imageSize)).toEqual(c.expected);
  });

  it("covers every task", () => {
    const covered = new Set(referenceCases.postprocess.map((c) => c.task));
    expect([...covered].sort()).toEqual([...TASK_TOKENS].sort());
  });
});
