// The API's routes as OpenAPI definitions: method, path, request schemas, responses. Handlers live in app.ts.
import { createRoute } from "@hono/zod-openapi";
import {
  AltTextForm,
  AltTextJson,
  AltTextQuery,
  AltTextResponse,
  AnalyzeForm,
  AnalyzeJson,
  AnalyzeQuery,
  AnalyzeResponse,
  HealthResponse,
  IMAGE_ROUTE_ERRORS,
  imageBodies,
  StatsSchema,
  TasksResponse,
} from "./schemas";

/** An empty requirement first: keys are needed only when the server has API_KEYS configured. */
const SECURITY: Record<string, string[]>[] = [{}, { bearerAuth: [] }, { apiKeyHeader: [] }];

const json = <S>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const analyzeRoute = createRoute({
  method: "post",
  path: "/v1/analyze",
  summary: "Run a Florence-2 task on an image",
  description:
    "Send the image as the raw body (`image/*` or `application/octet-stream`, parameters in the query string), as a " +
    "multipart field `image` (parameters as form fields), or as JSON with `image_url` or `image_base64`. The answer is " +
    "the reference processor's JSON keyed by the task token. Timings are also sent as a Server-Timing header.",
  security: SECURITY,
  request: { query: AnalyzeQuery, body: { required: false, content: imageBodies(AnalyzeJson, AnalyzeForm) } },
  responses: { 200: json(AnalyzeResponse, "The task's answer."), ...IMAGE_ROUTE_ERRORS },
});

export const altTextRoute = createRoute({
  method: "post",
  path: "/v1/alt-text",
  summary: "Alt text for an image (upload hooks)",
  description:
    "One sentence, at most `max_length` characters (default 125), capitalised, ending with a period, without an " +
    "'image of' lead-in. With `detail`, starts from <DETAILED_CAPTION> and keeps as many whole sentences as fit. " +
    "Image inputs as for /v1/analyze.",
  security: SECURITY,
  request: { query: AltTextQuery, body: { required: false, content: imageBodies(AltTextJson, AltTextForm) } },
  responses: {
    200: json(AltTextResponse, "The alt text and the caption it came from."),
    ...IMAGE_ROUTE_ERRORS,
  },
});

export const tasksRoute = createRoute({
  method: "get",
  path: "/v1/tasks",
  summary: "The tasks, their text_input rule and output shape",
  responses: { 200: json(TasksResponse, "Every Florence-2 task.") },
});

export const statsRoute = createRoute({
  method: "get",
  path: "/v1/stats",
  summary: "Counters of this isolate (vision runs, cache hits and misses, ...)",
  responses: { 200: json(StatsSchema, "Counters since the isolate started.") },
});

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness, model state, limits and counters",
  responses: {
    200: json(HealthResponse, "The server is up (the model may still be loading or have failed)."),
  },
});
