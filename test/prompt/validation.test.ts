import { describe, expect, it } from "vitest";
import { TASKS, TASK_TOKENS, buildPrompt, resolveTask, slugOf, type PixelBox } from "../../runtime/prompt";
import { codeOf } from "./code-of";

describe("resolveTask", () => {
  it("accepts every token and every slug, and they agree", () => {
    for (const token of TASK_TOKENS) {
      expect(resolveTask(token)).toBe(token);
      expect(resolveTask(slugOf(token))).toBe(token);
    }
  });

  it("uses the agreed slugs", () => {
    // prettier-ignore
    expect(TASK_TOKENS.map(slugOf)).toEqual([
      "caption", "detailed-caption", "more-detailed-caption", "ocr", "ocr-with-region", "od",
      "dense-region-caption", "region-proposal", "caption-to-phrase-grounding",
      "referring-expression-segmentation", "region-to-segmentation", "open-vocabulary-detection",
      "region-to-category", "region-to-description", "region-to-ocr",
    ]);
  });

  it.each(["OD", "<od>", "Od", "caption ", "", "toString", "__proto__", "constructor"])(
    "refuses %j",
    (name) => {
      expect(codeOf(() => resolveTask(name))).toBe("unknown_task");
    },
  );
});

describe("buildPrompt input rules", () => {
  const size = { width: 640, height: 480 };

  it("requires input for text and region tasks", () => {
    for (const token of TASK_TOKENS.filter((t) => TASKS[t].input !== "none")) {
      expect(codeOf(() => buildPrompt(token))).toBe("text_input_required");
      expect(codeOf(() => buildPrompt(token, "  \n"))).toBe("text_input_required");
    }
  });

  it("refuses input for input-less tasks, accepts none or empty", () => {
    expect(codeOf(() => buildPrompt("od", "cars"))).toBe("text_input_not_allowed");
    expect(codeOf(() => buildPrompt("caption", [1, 2, 3, 4]))).toBe("text_input_not_allowed");
    expect(buildPrompt("od", "")).toBe(TASKS["<OD>"].prompt);
  });

  it("refuses a pixel box for a free-text task", () => {
    expect(codeOf(() => buildPrompt("open-vocabulary-detection", [1, 2, 3, 4], size))).toBe(
      "text_input_required",
    );
  });

  it("limits free-text length", () => {
    expect(codeOf(() => buildPrompt("open-vocabulary-detection", "x".repeat(1001)))).toBe(
      "text_input_too_long",
    );
    expect(buildPrompt("open-vocabulary-detection", "x".repeat(1000))).toContain("x".repeat(1000));
    expect(
      codeOf(() => buildPrompt("open-vocabulary-detection", "abcdef", undefined, { maxTextInputLength: 5 })),
    ).toBe("text_input_too_long");
  });

  it.each([
    "<loc_1><loc_2><loc_3>",
    "<loc_1><loc_2><loc_3><loc_4><loc_5>",
    "<loc_1000><loc_2><loc_3><loc_4>",
    "<loc_007><loc_2><loc_3><loc_4>",
    "<loc_-1><loc_2><loc_3><loc_4>",
    " <loc_1><loc_2><loc_3><loc_4>",
    "<loc_1><loc_2><loc_3><loc_4>\n",
    "<loc_5><loc_2><loc_4><loc_3>",
    "<loc_1><loc_9><loc_4><loc_3>",
    "<loc_١><loc_2><loc_3><loc_4>",
    "a cat",
  ])("refuses the region %j", (region) => {
    expect(codeOf(() => buildPrompt("region-to-category", region))).toBe("invalid_region");
  });

  it("accepts degenerate but ordered regions and the grid's ends", () => {
    expect(buildPrompt("region-to-ocr", "<loc_0><loc_0><loc_999><loc_999>")).toBe(
      "What text is in the region <loc_0><loc_0><loc_999><loc_999>?",
    );
    expect(buildPrompt("region-to-ocr", "<loc_5><loc_5><loc_5><loc_5>")).toBe(
      "What text is in the region <loc_5><loc_5><loc_5><loc_5>?",
    );
  });

  it.each([
    [[1, 2, 3], size],
    [[1, 2, 3, Number.NaN], size],
    [[1, 2, 3, Number.POSITIVE_INFINITY], size],
    [[10, 2, 3, 4], size],
    [[1, 2, 3, 4], undefined],
    [[1, 2, 3, 4], { width: 0, height: 480 }],
    [[1, 2, 3, 4], { width: 640, height: Number.NaN }],
  ] as const)("refuses the pixel box %j in %j", (box, imageSize) => {
    expect(codeOf(() => buildPrompt("region-to-segmentation", box as unknown as PixelBox, imageSize))).toBe(
      "invalid_region",
    );
  });

  it("clamps pixel boxes that leave the image, like the reference quantizer", () => {
    expect(buildPrompt("region-to-description", [-50, -1, 10_000, 480], size)).toBe(
      "What does the region <loc_0><loc_0><loc_999><loc_999> describe?",
    );
  });
});
