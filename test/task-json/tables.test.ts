import { describe, expect, it } from "vitest";
import { TASKS } from "../../runtime/prompt";
import { PHRASE_GROUNDING_BLACKLIST } from "../../runtime/task-json";
import { referenceCases } from "../fixtures/reference-postprocess/cases";

describe("task tables match the reference processor's", () => {
  const { tables } = referenceCases;

  it("parser kind per task", () => {
    const ours = Object.fromEntries(Object.entries(TASKS).map(([token, spec]) => [token, spec.parser]));
    expect(ours).toEqual(tables.tasks_answer_post_processing_type);
  });

  it("phrase-grounding blacklist", () => {
    expect([...PHRASE_GROUNDING_BLACKLIST].sort()).toEqual([...tables.black_list_of_phrase_grounding].sort());
  });
});
