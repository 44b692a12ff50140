// The Hono app: platform-neutral (no workerd or Node imports), built from injected dependencies, so the same
// routes run in a Worker (worker/index.ts) and in Node (server-node/). Routes:
//   POST /v1/analyze   POST /v1/alt-text   GET /v1/tasks   GET /v1/stats   GET /healthz
//   GET /openapi.json (OpenAPI 3.1 from the zod schemas)   GET / (demo page)
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { setMetric, timing } from "hono/timing";
import { TASKS, TASK_TOKENS } from "../runtime/prompt/tasks";
import { altTextFromCaption, DEFAULT_ALT_TEXT_LENGTH } from "./alt-text";
import { analysisOptions, type AnalysisOptions, type AnalysisParams } from "./analysis-options";
import type { Analysis } from "./analyzer";
import type { Defer } from "./cache/tiered-cache";
import { demoPage } from "./demo-page";
import { bodyKind, formImage, jsonImage, rawImage, type ImageSourceFields } from "./image-input";
import {
  apiKeyAuth,
  errorResponse,
  imageBodyLimit,
  rateLimit,
  validationHook,
  type AppEnv,
} from "./middleware";
import { ApiError } from "./problem";
import { altTextRoute, analyzeRoute, healthRoute, statsRoute, tasksRoute } from "./routes";
import type { AnalyzeResponse, TaskResult } from "./schemas";
import { createServices, type AppDeps, type Services } from "./services";

export type { AppDeps } from "./services";

const OUTPUT_SHAPES: Record<string, string> = {
  pure_text: "string",
  ocr: "{quad_boxes: [[x1,y1,...,x4,y4]], labels}",
  description_with_bboxes: "{bboxes: [[x1,y1,x2,y2]], labels}",
  bboxes: "{bboxes: [[x1,y1,x2,y2]], labels}",
  phrase_grounding: "{bboxes: [[x1,y1,x2,y2]], labels}",
  polygons: "{polygons: [[[x,y,x,y,...]]], labels}",
  description_with_bboxes_or_polygons: "{bboxes, bboxes_labels, polygons, polygons_labels}",
};

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Background work goes to waitUntil where there is an execution context (workerd); in Node it just runs. */
function deferFor(c: Context): Defer {
  return (work) => {
    const settled = work.catch(() => undefined);
    try {
      c.executionCtx.waitUntil(settled);
    } catch {
      // No ExecutionContext (Node): the promise runs on its own.
    }
  };
}

type Fields = Partial<AnalysisParams> & ImageSourceFields & { max_length?: number; detail?: boolean };

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;

interface ValidatedInputs {
  query: Fields;
  json: Fields;
  form: Fields & { image?: Blob };
}

/**
 * zod-openapi types each validated target as the union of every declared body schema (the raw-image ones
 * included); at run time the json/form validators only run for their own Content-Type and give {} otherwise.
 */
function validatedInputs(query: unknown, json: unknown, form: unknown): ValidatedInputs {
  return { query: query as Fields, json: json as Fields, form: form as ValidatedInputs["form"] };
}

/**
 * The image and the parameters of an image route. Options are validated before the image is read or
 * fetched, so a bad task never costs a URL fetch.
 */
async function readRequest<O>(
  c: Context<AppEnv>,
  deps: AppDeps,
  validated: ValidatedInputs,
  optionsOf: (fields: Fields) => O,
): Promise<{ bytes: Uint8Array; options: O }> {
  const kind = bodyKind(c.req.header("content-type"));
  const body = kind === "json" ? validated.json : kind === "form" ? validated.form : {};
  const fields: Fields = { ...defined(validated.query), ...defined(body) };
  const options = optionsOf(fields);
  switch (kind) {
    case "json":
      return {
        options,
        bytes: await jsonImage(validated.json, deps.config, {
          fetch: deps.fetch ?? fetch,
          checkHost: deps.checkHost,
        }),
      };
    case "form":
      if (!validated.form.image)
        throw new ApiError("missing_image", "The multipart body has no `image` file field.");
      return { options, bytes: await formImage(validated.form.image, deps.config) };
    case "raw":
      return { options, bytes: rawImage(await c.req.arrayBuffer(), deps.config) };
    case "none":
      throw new ApiError(
        "missing_image",
        "No image: send the image bytes with an image/* Content-Type, a multipart `image` field, or JSON with image_url/image_base64.",
      );
  }
}

/** Timings into the JSON (rounded) and the Server-Timing header (the middleware adds `total`). */
function reportTimings(c: Context<AppEnv>, analysis: Analysis, started: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(analysis.timings)) {
    out[name] = round(ms);
    setMetric(c, name, ms);
  }
  out.total = round(performance.now() - started);
  return out;
}

function analyzeBody(
  c: Context<AppEnv>,
  analysis: Analysis,
  started: number,
): z.infer<typeof AnalyzeResponse> {
  return {
    task: analysis.task,
    result: analysis.result as Record<string, z.infer<typeof TaskResult>>,
    image: analysis.image,
    model: analysis.model,
    cache: analysis.cache,
    timings: reportTimings(c, analysis, started),
  };
}

/** The counters plus the two gauges: model jobs queued or running, image requests being handled. */
const liveStats = (services: Services) => ({
  ...services.stats,
  queue_depth: services.queue.depth,
  in_flight: services.admission.inFlight,
});

function healthBody(deps: AppDeps, services: Services) {
  const status = deps.model.status();
  const { config } = deps;
  return {
    status: "ok" as const,
    model: {
      state: status.state,
      ...(status.metadata ?? {}),
      ...(status.error !== undefined ? { error: status.error } : {}),
      ...(status.loadMs !== undefined ? { load_ms: round(status.loadMs) } : {}),
    },
    limits: {
      max_image_bytes: config.maxImageBytes,
      min_image_side: config.minImageSide,
      max_image_side: config.maxImageSide,
      max_image_pixels: config.maxImagePixels,
      default_num_beams: config.defaultNumBeams,
      default_max_new_tokens: config.defaultMaxNewTokens,
      max_new_tokens_cap: config.maxNewTokensCap,
      max_in_flight: config.maxInFlight,
      max_queue: config.maxQueue,
    },
    auth: config.apiKeys.length > 0,
    stats: liveStats(services),
  };
}

export function createApp(deps: AppDeps) {
  const { config } = deps;
  const services = createServices(deps);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", requestId());
  app.use(
    "*",
    cors({
      origin: config.corsOrigins.includes("*") ? "*" : config.corsOrigins,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["content-type", "authorization", "x-api-key", "x-request-id"],
      exposeHeaders: ["server-timing", "x-request-id", "retry-after"],
      maxAge: 86400,
    }),
  );
  app.use("*", timing({ crossOrigin: true }));
  for (const path of ["/v1/analyze", "/v1/alt-text"]) {
    app.use(path, apiKeyAuth(config.apiKeys));
    if (deps.rateLimit)
      app.use(
        path,
        rateLimit(deps.rateLimit, () => services.stats.rate_limited++),
      );
    // Before the body limit: that middleware reads a body without Content-Length into memory.
    app.use(path, services.admission.middleware());
    app.use(path, imageBodyLimit(config));
  }
  app.onError(errorResponse);
  app.notFound((c) =>
    errorResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "florence-edge",
      version: "1",
      description:
        "Florence-2 vision tasks (captions, OCR, detection, grounding, segmentation) at the edge. Errors are RFC 9457 problem+json with a stable `code`.",
    },
  });
  // The page says so when the model is synthetic; the model folder (small files) is read for that, and a
  // folder that cannot be read still gets the page (requests will then answer 503 with the reason).
  app.get("/", async (c) => c.html(demoPage(await deps.model.metadata().catch(() => undefined))));

  const routes = app
    .openapi(analyzeRoute, async (c) => {
      const started = performance.now();
      const { bytes, options } = await readRequest(
        c,
        deps,
        validatedInputs(c.req.valid("query"), c.req.valid("json"), c.req.valid("form")),
        (f) => analysisOptions(f, config),
      );
      const analysis = await services.analyzer.analyze(bytes, options, deferFor(c));
      return c.json(analyzeBody(c, analysis, started), 200);
    })
    .openapi(altTextRoute, async (c) => {
      const started = performance.now();
      const { bytes, options } = await readRequest(
        c,
        deps,
        validatedInputs(c.req.valid("query"), c.req.valid("json"), c.req.valid("form")),
        (f) => ({
          analysis: analysisOptions(
            {
              task: f.detail ? "<DETAILED_CAPTION>" : "<CAPTION>",
              num_beams: f.num_beams,
              max_new_tokens: f.max_new_tokens,
            },
            config,
          ),
          maxLength: f.max_length ?? DEFAULT_ALT_TEXT_LENGTH,
          detail: f.detail === true,
        }),
      );
      const analysis = await services.analyzer.analyze(
        bytes,
        options.analysis satisfies AnalysisOptions,
        deferFor(c),
      );
      const caption = String(analysis.result[analysis.task] ?? "");
      const body = analyzeBody(c, analysis, started);
      return c.json(
        {
          alt_text: altTextFromCaption(caption, { maxLength: options.maxLength, detail: options.detail }),
          caption,
          task: body.task,
          image: body.image,
          model: body.model,
          cache: body.cache,
          timings: body.timings,
        },
        200,
      );
    })
    .openapi(tasksRoute, (c) =>
      c.json(
        {
          tasks: TASK_TOKENS.map((task) => {
            const spec = TASKS[task];
            return {
              task,
              slug: spec.slug,
              text_input: spec.input,
              text_input_rule: spec.input === "none" ? ("forbidden" as const) : ("required" as const),
              prompt: spec.prompt,
              output: spec.parser,
              output_shape: OUTPUT_SHAPES[spec.parser] ?? "",
            };
          }),
        },
        200,
      ),
    )
    .openapi(statsRoute, (c) => c.json(liveStats(services), 200))
    .openapi(healthRoute, (c) => c.json(healthBody(deps, services), 200));
  return routes;
}

export type AppType = ReturnType<typeof createApp>;
