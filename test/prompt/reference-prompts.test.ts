import { describe, expect, it } from "vitest";
import {
  TASKS,
  TASK_TOKENS,
  buildPrompt,
  constructPrompt,
  isTaskToken,
  quantizeBox,
} from "../../runtime/prompt";
import { referenceCases } from "../fixtures/reference-postprocess/cases";
import { codeOf } from "./code-of";

// Expected prompts and bins come from Microsoft's processing_florence2.py (_construct_prompts and
// BoxQuantizer.quantize) run by scripts/reference-postprocess/generate_cases.py.
const { tables, prompts, quantize } = referenceCases;

describe("prompt table matches the reference", () => {
  it("prompts without input", () => {
    const ours = Object.fromEntries(
      TASK_TOKENS.filter((t) => TASKS[t].input === "none").map((t) => [t, TASKS[t].prompt]),
    );
    expect(ours).toEqual(tables.task_prompts_without_inputs);
  });

  it("prompts with input, in the reference's order (the first token found wins)", () => {
    const ours = TASK_TOKENS.filter((t) => TASKS[t].input !== "none").map((t) => [t, TASKS[t].prompt]);
    expect(ours).toEqual(Object.entries(tables.task_prompts_with_input));
  });
});

describe("constructPrompt reproduces _construct_prompts", () => {
  it.each(prompts.map((p) => [`${p.task} + ${JSON.stringify(p.textInput)}`, p] as const))(
    "%s",
    (_name, p) => {
      const text = p.task + p.textInput;
      if ("prompt" in p.reference) expect(constructPrompt(text)).toBe(p.reference.prompt);
      else expect(codeOf(() => constructPrompt(text))).toBe("text_input_not_allowed");
    },
  );
});

describe("buildPrompt agrees with the reference wherever it accepts the input", () => {
  for (const p of prompts) {
    if (!isTaskToken(p.task)) throw new Error(`fixture names unknown task ${p.task}`);
    const task = p.task;
    const spec = TASKS[task];
    const name = `${task} + ${JSON.stringify(p.textInput)}`;
    const textInput = p.textInput === "" ? undefined : p.textInput;
    const isRegion = /^(<loc_\d+>){4}$/.test(p.textInput);

    if (!("prompt" in p.reference)) {
      it(`${name}: the reference asserts, we refuse`, () => {
        expect(codeOf(() => buildPrompt(task, textInput))).toBe("text_input_not_allowed");
      });
    } else if (spec.input !== "none" && p.textInput.trim() === "") {
      // Deliberate difference: the reference formats an empty input ("Locate the phrases in the caption: ").
      it(`${name}: we require an input`, () => {
        expect(codeOf(() => buildPrompt(task, textInput))).toBe("text_input_required");
      });
    } else if (spec.input === "region" && !isRegion) {
      it(`${name}: not a region, refused`, () => {
        expect(codeOf(() => buildPrompt(task, textInput))).toBe("invalid_region");
      });
    } else {
      const expected = p.reference.prompt;
      it(`${name}: same prompt`, () => {
        expect(buildPrompt(task, textInput)).toBe(expected);
        expect(buildPrompt(spec.slug, textInput)).toBe(expected);
      });
    }
  }
});

describe("pixel regions quantize like BoxQuantizer('floor')", () => {
  it.each(
    quantize.map(
      (q) => [`${JSON.stringify(q.box)} in ${q.imageSize.width}x${q.imageSize.height}`, q] as const,
    ),
  )("%s", (_name, q) => {
    expect(quantizeBox(q.box, q.imageSize)).toEqual(q.bins);
    if (q.binsFromInt64) expect(q.binsFromInt64).toEqual(q.bins);
    const [x1, y1, x2, y2] = q.box;
    if (x1 <= x2 && y1 <= y2) {
      expect(buildPrompt("<REGION_TO_CATEGORY>", q.box, q.imageSize)).toBe(q.regionToCategoryPrompt);
    } else {
      expect(codeOf(() => buildPrompt("<REGION_TO_CATEGORY>", q.box, q.imageSize))).toBe("invalid_region");
    }
  });
});
