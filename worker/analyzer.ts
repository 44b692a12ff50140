// One analysis, cheapest path first:
//   header probe (format, size limits) → SHA-256 → result cache → feature cache → vision encoder
//   → encoder + decoder (runOnFeatures) → result written back to both caches.
// A result-cache hit needs only the model's metadata (the small files), never its graphs. Identical
// analyses in flight share one computation, and so do identical images across tasks (feature single-flight).
import type { ImageFeatures, Timings as PipelineTimings } from "../runtime/pipeline";
import { checkDimensions, isImageDecodeError, probeImage, type DecodeLimits } from "../runtime/pixels";
import { isPromptError } from "../runtime/prompt/prompt-error";
import type { AnalysisOptions } from "./analysis-options";
import type { StoredResult } from "./cache/codecs";
import { featureKey, resultKey } from "./cache/keys";
import { sha256Hex } from "./cache/sha256";
import { SingleFlight } from "./cache/single-flight";
import type { Stats } from "./cache/stats";
import type { Defer, TieredCache } from "./cache/tiered-cache";
import type { ModelProvider } from "./model-provider";
import { ApiError } from "./problem";
import type { WorkQueue } from "./work-queue";

export interface Analysis extends StoredResult {
  cache: { features: "hit" | "miss" | "skipped"; result: "hit" | "miss" };
  timings: Record<string, number>;
}

export interface AnalyzerDeps {
  model: ModelProvider;
  features: TieredCache<ImageFeatures>;
  results: TieredCache<StoredResult>;
  queue: WorkQueue;
  stats: Stats;
  limits: DecodeLimits;
}

type StepTimings = PipelineTimings & Record<string, number>;

const now = () => performance.now();

/**
 * A failure inside a model run that is not about the input (onnxruntime threw, a tensor was malformed) →
 * 500 internal_error naming the step; the real error is logged, never sent. Input errors pass through.
 */
async function inferenceStep<T>(
  step: "vision encoder" | "language model",
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ApiError || isImageDecodeError(e) || isPromptError(e)) throw e;
    console.error(`inference failed in the ${step}:`, e);
    throw new ApiError("internal_error", `Inference failed in the ${step}; the request can be retried.`, {
      step,
    });
  }
}

export class Analyzer {
  private readonly analyses: SingleFlight<Analysis>;
  private readonly featureRuns: SingleFlight<{ image: ImageFeatures; hit: boolean }>;

  constructor(private readonly deps: AnalyzerDeps) {
    const shared = () => deps.stats.shared_in_flight++;
    this.analyses = new SingleFlight(shared);
    this.featureRuns = new SingleFlight(shared);
  }

  async analyze(bytes: Uint8Array, opts: AnalysisOptions, defer: Defer): Promise<Analysis> {
    const { stats, limits, model } = this.deps;
    stats.requests++;
    // Refuse what the header already shows to be unusable, before hashing or loading anything.
    const header = probeImage(bytes);
    checkDimensions(header.width, header.height, limits);

    const timings: StepTimings = {};
    const t = now();
    const sha = await sha256Hex(bytes);
    timings.hash = now() - t;
    const metadata = await model.metadata();
    const key = await resultKey(metadata.version, sha, {
      task: opts.task,
      textInput: opts.textInput,
      numBeams: opts.numBeams,
      maxNewTokens: opts.maxNewTokens,
    });
    const shared = await this.analyses.run(key, () => this.compute(key, bytes, sha, opts, timings, defer));
    // Joiners get the first caller's result with their own copy of the bookkeeping.
    return { ...shared, cache: { ...shared.cache }, timings: { ...shared.timings } };
  }

  private async compute(
    key: string,
    bytes: Uint8Array,
    sha: string,
    opts: AnalysisOptions,
    timings: StepTimings,
    defer: Defer,
  ): Promise<Analysis> {
    const { results, model, queue, stats } = this.deps;
    const t = now();
    const hit = await results.get(key, defer);
    timings.cache = now() - t;
    if (hit) return { ...hit.value, cache: { features: "skipped", result: "hit" }, timings };

    const metadata = await model.metadata();
    const features = await this.featuresFor(featureKey(metadata.version, sha), bytes, timings, defer);
    const pipeline = await model.pipeline();
    const run = await queue.run(() => {
      stats.model_runs++;
      return inferenceStep("language model", () =>
        pipeline.runOnFeatures(
          features.image,
          {
            task: opts.task,
            textInput: opts.textInput,
            numBeams: opts.numBeams,
            maxNewTokens: opts.maxNewTokens,
          },
          timings,
        ),
      );
    });
    const stored: StoredResult = {
      task: run.task,
      result: run.result as Record<string, unknown>,
      image: { width: features.image.width, height: features.image.height, sha256: sha },
      model: metadata,
    };
    defer(results.put(key, stored));
    return { ...stored, cache: { features: features.hit ? "hit" : "miss", result: "miss" }, timings };
  }

  private featuresFor(
    key: string,
    bytes: Uint8Array,
    timings: StepTimings,
    defer: Defer,
  ): Promise<{ image: ImageFeatures; hit: boolean }> {
    const { features, model, queue, stats, limits } = this.deps;
    return this.featureRuns.run(key, async () => {
      const t = now();
      const hit = await features.get(key, defer);
      timings.cache = (timings.cache ?? 0) + (now() - t);
      if (hit) return { image: hit.value, hit: true };
      const pipeline = await model.pipeline();
      const image = await queue.run(() => {
        stats.vision_runs++;
        return inferenceStep("vision encoder", () => pipeline.imageFeatures(bytes, limits, timings));
      });
      defer(features.put(key, image));
      return { image, hit: false };
    });
  }
}
