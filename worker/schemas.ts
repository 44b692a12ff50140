// The API's request and response schemas (zod 4): they validate requests and generate the OpenAPI 3.1
// document, so the document cannot drift from what the server accepts.
import { z } from "@hono/zod-openapi";
import { TASKS, TASK_TOKENS } from "../runtime/prompt/tasks";
import { PROBLEMS, type ProblemCode } from "./problem";

const TASK_NAMES = [...TASK_TOKENS, ...TASK_TOKENS.map((t) => TASKS[t].slug)] as [string, ...string[]];

export const TaskName = z.enum(TASK_NAMES).openapi({
  description: "A Florence-2 task token (`<OD>`) or its slug (`od`). Default `<CAPTION>`.",
  example: "<OD>",
});

const TEXT_INPUT_DESCRIPTION =
  "Free text for grounding/detection tasks; for region tasks four `<loc_0..999>` tokens or a pixel box `[x1,y1,x2,y2]` " +
  "(in query and form fields also `x1,y1,x2,y2`). Refused for tasks without input.";

/** The 1–3 range is the reference's own: generation_config uses num_beams 3. */
const numBeams = (n: z.ZodNumber) =>
  n.int().min(1).max(3).openapi({ description: "Beam count (1 = greedy)." });
const maxNewTokens = (n: z.ZodNumber) =>
  n.int().min(1).max(4096).openapi({
    description: "Generated-token limit; above the server's cap (MAX_NEW_TOKENS_CAP) it is refused.",
  });

// Query strings and form fields are text: numbers are coerced, booleans read as true/false/1/0.
const flag = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .openapi({ type: "boolean" });

export const AnalyzeQuery = z.object({
  task: TaskName.optional(),
  text_input: z.string().optional().openapi({ description: TEXT_INPUT_DESCRIPTION }),
  num_beams: numBeams(z.coerce.number()).optional(),
  max_new_tokens: maxNewTokens(z.coerce.number()).optional(),
});

const imageSource = {
  image_url: z
    .string()
    .optional()
    .openapi({ description: "http(s) URL of the image (public hosts, default ports).", format: "uri" }),
  image_base64: z
    .string()
    .optional()
    .openapi({ description: "The image bytes in base64 (a `data:` URL prefix is accepted)." }),
};

export const PixelBoxSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const AnalyzeJson = z
  .object({
    ...imageSource,
    task: TaskName.optional(),
    text_input: z
      .union([z.string(), PixelBoxSchema])
      .optional()
      .openapi({ description: TEXT_INPUT_DESCRIPTION }),
    num_beams: numBeams(z.number()).optional(),
    max_new_tokens: maxNewTokens(z.number()).optional(),
  })
  .openapi("AnalyzeJsonRequest");

const FileField = z
  .custom<File>((v) => typeof v === "object" && v !== null && typeof (v as Blob).arrayBuffer === "function")
  .openapi({ type: "string", format: "binary", description: "The image file." });

export const AnalyzeForm = z.object({
  image: FileField,
  task: TaskName.optional(),
  text_input: z.string().optional().openapi({ description: TEXT_INPUT_DESCRIPTION }),
  num_beams: numBeams(z.coerce.number()).optional(),
  max_new_tokens: maxNewTokens(z.coerce.number()).optional(),
});

const maxLength = (n: z.ZodNumber) =>
  n.int().min(16).max(1000).openapi({ description: "Longest alt text in characters (default 125)." });
const detailDescription = "Start from <DETAILED_CAPTION> and keep as many whole sentences as fit.";

export const AltTextQuery = z.object({
  max_length: maxLength(z.coerce.number()).optional(),
  detail: flag.optional().openapi({ description: detailDescription }),
  num_beams: numBeams(z.coerce.number()).optional(),
  max_new_tokens: maxNewTokens(z.coerce.number()).optional(),
});

export const AltTextJson = z
  .object({
    ...imageSource,
    max_length: maxLength(z.number()).optional(),
    detail: z.boolean().optional().openapi({ description: detailDescription }),
    num_beams: numBeams(z.number()).optional(),
    max_new_tokens: maxNewTokens(z.number()).optional(),
  })
  .openapi("AltTextJsonRequest");

export const AltTextForm = z.object({
  image: FileField,
  max_length: maxLength(z.coerce.number()).optional(),
  detail: flag.optional().openapi({ description: detailDescription }),
  num_beams: numBeams(z.coerce.number()).optional(),
  max_new_tokens: maxNewTokens(z.coerce.number()).optional(),
});

const Binary = z
  .string()
  .openapi({ type: "string", format: "binary", description: "The image file as the request body." });

/** Request bodies shared by /v1/analyze and /v1/alt-text: raw image, multipart or JSON. */
export function imageBodies<J extends z.ZodType, F extends z.ZodType>(json: J, form: F) {
  return {
    "application/json": { schema: json },
    "multipart/form-data": { schema: form },
    "image/*": { schema: Binary },
    "application/octet-stream": { schema: Binary },
  };
}

// ---- responses

const Box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const Quad = z.array(z.number()).length(8);
const Polygon = z.array(z.number());

export const TaskResult = z
  .union([
    z.string().openapi({ description: "Text tasks (captions, OCR, region to category/description/OCR)." }),
    z
      .object({ bboxes: z.array(Box), labels: z.array(z.string()) })
      .openapi({ description: "<OD>, dense region captions, region proposals, phrase grounding." }),
    z
      .object({ quad_boxes: z.array(Quad), labels: z.array(z.string()) })
      .openapi({ description: "<OCR_WITH_REGION>." }),
    z
      .object({ polygons: z.array(z.array(Polygon)), labels: z.array(z.string()) })
      .openapi({ description: "Segmentation tasks." }),
    z
      .object({
        bboxes: z.array(Box),
        bboxes_labels: z.array(z.string()),
        polygons: z.array(z.array(Polygon)),
        polygons_labels: z.array(z.string()),
      })
      .openapi({ description: "<OPEN_VOCABULARY_DETECTION>." }),
  ])
  .openapi("TaskResult");

export const ImageInfo = z
  .object({ width: z.number().int(), height: z.number().int(), sha256: z.string() })
  .openapi("ImageInfo");

export const ModelInfo = z
  .object({ id: z.string(), version: z.string(), quantization: z.string(), synthetic: z.boolean() })
  .openapi("ModelInfo");

export const CacheInfo = z
  .object({
    features: z
      .enum(["hit", "miss", "skipped"])
      .openapi({ description: "`skipped` when the whole result came from the result cache." }),
    result: z.enum(["hit", "miss"]),
  })
  .openapi("CacheInfo");

export const Timings = z.record(z.string(), z.number()).openapi("Timings", {
  description:
    "Milliseconds per step (hash, cache, pixels, vision, encoder, decoder, parse, total); steps that did not run are absent.",
});

export const AnalyzeResponse = z
  .object({
    task: z.string().openapi({ example: "<OD>" }),
    result: z
      .record(z.string(), TaskResult)
      .openapi({ description: "The reference processor's answer, keyed by the task token." }),
    image: ImageInfo,
    model: ModelInfo,
    cache: CacheInfo,
    timings: Timings,
  })
  .openapi("AnalyzeResponse");

export const AltTextResponse = z
  .object({
    alt_text: z.string().openapi({
      description: "One sentence (more with detail) ending with a period; empty if the caption had no words.",
    }),
    caption: z.string().openapi({ description: "The caption it was made from." }),
    task: z.string(),
    image: ImageInfo,
    model: ModelInfo,
    cache: CacheInfo,
    timings: Timings,
  })
  .openapi("AltTextResponse");

export const TaskInfo = z
  .object({
    task: z.string(),
    slug: z.string(),
    text_input: z.enum(["none", "text", "region"]),
    text_input_rule: z.enum(["forbidden", "required"]),
    prompt: z.string(),
    output: z.string().openapi({ description: "Parser of the reference processor." }),
    output_shape: z.string(),
  })
  .openapi("TaskInfo");

export const TasksResponse = z.object({ tasks: z.array(TaskInfo) }).openapi("TasksResponse");

export const StatsSchema = z
  .record(z.string(), z.union([z.number(), z.record(z.string(), z.number())]))
  .openapi("Stats");

export const HealthResponse = z
  .object({
    status: z.literal("ok"),
    model: z.object({
      state: z.enum(["idle", "loading", "ready", "failed"]),
      id: z.string().optional(),
      version: z.string().optional(),
      quantization: z.string().optional(),
      synthetic: z.boolean().optional(),
      error: z.string().optional(),
      load_ms: z.number().optional(),
    }),
    limits: z.object({
      max_image_bytes: z.number(),
      min_image_side: z.number(),
      max_image_side: z.number(),
      max_image_pixels: z.number(),
      default_num_beams: z.number(),
      default_max_new_tokens: z.number(),
      max_new_tokens_cap: z.number(),
      max_in_flight: z.number(),
      max_queue: z.number(),
    }),
    auth: z.boolean(),
    stats: StatsSchema,
  })
  .openapi("HealthResponse");

export const Problem = z
  .object({
    type: z.string().openapi({ example: "urn:florence-edge:problem:unknown_task" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]),
    instance: z.string().optional(),
    request_id: z.string().optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem", { description: "RFC 9457 problem details; switch on `code`." });

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/** The error responses an image route can give, by status. */
export const IMAGE_ROUTE_ERRORS = {
  400: problem(
    "invalid_request, missing_image, unknown_task, text_input_required, text_input_not_allowed, invalid_region, text_input_too_long, url_not_allowed",
  ),
  401: problem("unauthorized (API keys configured and none or a wrong one given)"),
  413: problem("image_too_large"),
  415: problem("unsupported_media_type"),
  422: problem("image_dimensions_out_of_range, undecodable_image"),
  429: problem("rate_limited"),
  500: problem("internal_error"),
  502: problem("url_fetch_failed"),
  503: problem("model_unavailable"),
  504: problem("url_fetch_timeout"),
} as const;
