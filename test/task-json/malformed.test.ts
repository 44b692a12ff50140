import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TASK_TOKENS } from "../../runtime/prompt";
import { postProcessGeneration } from "../../runtime/task-json";

// Generated text is untrusted: truncated, repeated or garbled output must still yield a well-formed answer.
const piece = fc.oneof(
  fc.constantFrom(
    "<s>",
    "</s>",
    "<pad>",
    "<sep>",
    "<poly>",
    "</poly>",
    "<od>",
    "<",
    ">",
    " ",
    "\n",
    "é",
    "日",
  ),
  fc.integer({ min: 0, max: 1200 }).map((n) => `<loc_${n}>`),
  fc.string({ maxLength: 6 }),
);
const generated = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(""));

function finiteNumbersOnly(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.every(finiteNumbersOnly);
  if (value !== null && typeof value === "object") return Object.values(value).every(finiteNumbersOnly);
  return false;
}

describe("postProcessGeneration on malformed output", () => {
  it("never throws and returns only the task key with finite numbers", () => {
    fc.assert(
      fc.property(generated, fc.constantFrom(...TASK_TOKENS), (text, task) => {
        const answer = postProcessGeneration(text, task, { width: 640, height: 480 });
        expect(Object.keys(answer)).toEqual([task]);
        expect(finiteNumbersOnly(answer)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps labels and geometry aligned", () => {
    fc.assert(
      fc.property(generated, (text) => {
        const size = { width: 333, height: 777 };
        const od = postProcessGeneration(text, "<OD>", size)["<OD>"];
        expect(od.labels.length).toBe(od.bboxes.length);
        const ocr = postProcessGeneration(text, "<OCR_WITH_REGION>", size)["<OCR_WITH_REGION>"];
        expect(ocr.labels.length).toBe(ocr.quad_boxes.length);
        expect(ocr.quad_boxes.every((q) => q.length === 8)).toBe(true);
        const seg = postProcessGeneration(text, "<REGION_TO_SEGMENTATION>", size)["<REGION_TO_SEGMENTATION>"];
        expect(seg.labels.length).toBe(seg.polygons.length);
        expect(seg.polygons.flat().every((p) => p.length % 2 === 0)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
