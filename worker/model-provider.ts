// The model, loaded lazily and once per isolate. Two stages because they cost very different amounts: the
// folder (tokenizer, configs, metadata: small files) is enough to build cache keys and answer a result-cache
// hit; the engine (the four graphs) is needed only to compute. Concurrent callers share one load; a failed
// load is forgotten so that a later request retries it, and surfaces as 503 model_unavailable.
import type { Florence2Engine } from "../runtime/engine/types";
import type { ModelFolder, ModelMetadata } from "../runtime/model-folder";
import { Florence2 } from "../runtime/pipeline";
import { ApiError } from "./problem";

export interface ModelSource {
  loadFolder(): Promise<ModelFolder>;
  loadEngine(): Promise<Florence2Engine>;
}

export type ModelState = "idle" | "loading" | "ready" | "failed";

export interface ModelStatus {
  state: ModelState;
  metadata?: ModelMetadata;
  /** Last load failure (for operators; requests only see model_unavailable). */
  error?: string;
  /** Milliseconds the engine load took. */
  loadMs?: number;
}

const RETRY_AFTER_SECONDS = "30";

/** Thrown by a model source's file loader for a file that is not there (an R2 miss); reported as such. */
export class ModelFileMissing extends Error {
  override readonly name = "ModelFileMissing";
  constructor(
    readonly path: string,
    where: string,
  ) {
    super(`model file ${path} is not in ${where}`);
  }
}

/** What clients are told about a failed load: the kind of cause, never paths or onnxruntime's message. */
type LoadFailure = "model_file_missing" | "model_config_unreadable" | "model_graph_unloadable";

const FAILURE_DETAIL: Record<LoadFailure, string> = {
  model_file_missing: "a model file is missing from storage",
  model_config_unreadable: "the model's configuration files could not be read",
  model_graph_unloadable: "onnxruntime could not load the model graphs (corrupt or incompatible files)",
};

function classify(err: unknown, stage: "folder" | "engine"): LoadFailure {
  const missing = err instanceof ModelFileMissing || (err as { code?: unknown } | null)?.code === "ENOENT";
  if (missing) return "model_file_missing";
  return stage === "folder" ? "model_config_unreadable" : "model_graph_unloadable";
}

export class ModelProvider {
  private folder?: Promise<ModelFolder>;
  private pipe?: Promise<Florence2>;
  private current: ModelStatus = { state: "idle" };

  constructor(private readonly source: ModelSource) {}

  status(): ModelStatus {
    return { ...this.current };
  }

  async metadata(): Promise<ModelMetadata> {
    return (await this.loadFolder()).metadata;
  }

  pipeline(): Promise<Florence2> {
    this.pipe ??= this.loadPipeline();
    return this.pipe;
  }

  private loadFolder(): Promise<ModelFolder> {
    this.folder ??= this.source.loadFolder().then(
      (folder) => {
        this.current.metadata = folder.metadata;
        return folder;
      },
      (err: unknown) => this.fail(err, "folder", () => (this.folder = undefined)),
    );
    return this.folder;
  }

  private async loadPipeline(): Promise<Florence2> {
    const folder = await this.loadFolder().catch((e: unknown) => {
      this.pipe = undefined;
      throw e;
    });
    this.current = { ...this.current, state: "loading", error: undefined };
    const t = performance.now();
    try {
      const engine = await this.source.loadEngine();
      this.current = { ...this.current, state: "ready", loadMs: performance.now() - t };
      return new Florence2(engine, folder);
    } catch (err) {
      return this.fail(err, "engine", () => (this.pipe = undefined));
    }
  }

  private fail(err: unknown, stage: "folder" | "engine", forget: () => void): never {
    forget();
    const message = err instanceof Error ? err.message : String(err);
    this.current = { ...this.current, state: "failed", error: message };
    console.error(`model load failed: ${message}`);
    const reason = classify(err, stage);
    throw new ApiError(
      "model_unavailable",
      `The model could not be loaded (${FAILURE_DETAIL[reason]}); try again later.`,
      { reason },
      { "retry-after": RETRY_AFTER_SECONDS },
    );
  }
}
