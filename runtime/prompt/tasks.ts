/**
 * Florence-2's task table as data. Prompts and parser kinds are the reference processor's own tables
 * (`task_prompts_without_inputs`, `task_prompts_with_input`, `tasks_answer_post_processing_type` in
 * Microsoft's processing_florence2.py; the native transformers port has the same strings).
 *
 * `input` says what follows the task token: `none` (text is refused), `text` (free text, required) or
 * `region` (four `<loc_N>` tokens, required). The reference itself does not require the input — it formats
 * an empty one — but a grounding prompt with nothing to ground is never what a caller meant.
 */
export const TASKS = {
  "<CAPTION>": {
    slug: "caption",
    prompt: "What does the image describe?",
    input: "none",
    parser: "pure_text",
  },
  "<DETAILED_CAPTION>": {
    slug: "detailed-caption",
    prompt: "Describe in detail what is shown in the image.",
    input: "none",
    parser: "pure_text",
  },
  "<MORE_DETAILED_CAPTION>": {
    slug: "more-detailed-caption",
    prompt: "Describe with a paragraph what is shown in the image.",
    input: "none",
    parser: "pure_text",
  },
  "<OCR>": {
    slug: "ocr",
    prompt: "What is the text in the image?",
    input: "none",
    parser: "pure_text",
  },
  "<OCR_WITH_REGION>": {
    slug: "ocr-with-region",
    prompt: "What is the text in the image, with regions?",
    input: "none",
    parser: "ocr",
  },
  "<OD>": {
    slug: "od",
    prompt: "Locate the objects with category name in the image.",
    input: "none",
    parser: "description_with_bboxes",
  },
  "<DENSE_REGION_CAPTION>": {
    slug: "dense-region-caption",
    prompt: "Locate the objects in the image, with their descriptions.",
    input: "none",
    parser: "description_with_bboxes",
  },
  "<REGION_PROPOSAL>": {
    slug: "region-proposal",
    prompt: "Locate the region proposals in the image.",
    input: "none",
    parser: "bboxes",
  },
  "<CAPTION_TO_PHRASE_GROUNDING>": {
    slug: "caption-to-phrase-grounding",
    prompt: "Locate the phrases in the caption: {input}",
    input: "text",
    parser: "phrase_grounding",
  },
  "<REFERRING_EXPRESSION_SEGMENTATION>": {
    slug: "referring-expression-segmentation",
    prompt: "Locate {input} in the image with mask",
    input: "text",
    parser: "polygons",
  },
  "<REGION_TO_SEGMENTATION>": {
    slug: "region-to-segmentation",
    prompt: "What is the polygon mask of region {input}",
    input: "region",
    parser: "polygons",
  },
  "<OPEN_VOCABULARY_DETECTION>": {
    slug: "open-vocabulary-detection",
    prompt: "Locate {input} in the image.",
    input: "text",
    parser: "description_with_bboxes_or_polygons",
  },
  "<REGION_TO_CATEGORY>": {
    slug: "region-to-category",
    prompt: "What is the region {input}?",
    input: "region",
    parser: "pure_text",
  },
  "<REGION_TO_DESCRIPTION>": {
    slug: "region-to-description",
    prompt: "What does the region {input} describe?",
    input: "region",
    parser: "pure_text",
  },
  "<REGION_TO_OCR>": {
    slug: "region-to-ocr",
    prompt: "What text is in the region {input}?",
    input: "region",
    parser: "pure_text",
  },
} as const satisfies Record<string, TaskSpec>;

export type InputKind = "none" | "text" | "region";

export type ParserKind =
  | "pure_text"
  | "ocr"
  | "description_with_bboxes"
  | "bboxes"
  | "phrase_grounding"
  | "polygons"
  | "description_with_bboxes_or_polygons";

export interface TaskSpec {
  readonly slug: string;
  /** The reference's prompt; `{input}` marks where the text input goes (tasks with input only). */
  readonly prompt: string;
  readonly input: InputKind;
  readonly parser: ParserKind;
}

export type TaskToken = keyof typeof TASKS;
export type TaskSlug = (typeof TASKS)[TaskToken]["slug"];
export type ParserKindOf<T extends TaskToken> = (typeof TASKS)[T]["parser"];

/** Whether the task takes text after its token: required for `text`/`region` tasks, refused otherwise. */
export function textInputRule(task: TaskToken): "required" | "forbidden" {
  return TASKS[task].input === "none" ? "forbidden" : "required";
}

/** Task tokens in the reference's table order. */
export const TASK_TOKENS = Object.keys(TASKS) as TaskToken[];
