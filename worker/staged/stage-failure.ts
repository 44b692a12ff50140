// A stage call that failed → the API's answer, naming the stage (problem+json member `stage`):
//   - the stage could not load (a file missing or failing its sha256 check, onnxruntime refusing a graph, the
//     binding unreachable) → 503 model_unavailable with `reason`, like the single-Worker mode, and Retry-After;
//     the stage forgets a failed load, so the next request tries again;
//   - the stage threw while running → 500 internal_error with `step` (the pipeline step, as the single-Worker
//     mode names it) and `stage`.
// The full message (paths, onnxruntime's words) is logged for the operator, never sent.
import type { Stage } from "../../model-splitter/manifest";
import { parseStageError } from "../../stage-worker/errors";
import { ApiError } from "../problem";

const RETRY_AFTER_SECONDS = "30";

type LoadReason =
  | "stage_timeout"
  | "model_file_missing"
  | "model_file_corrupt"
  | "model_graph_unloadable"
  | "stage_unreachable";

const LOAD_DETAIL: Record<LoadReason, string> = {
  model_file_missing: "a model file is missing from storage",
  model_file_corrupt: "a model file failed its sha256 check",
  model_graph_unloadable: "onnxruntime could not load the stage's graphs",
  stage_unreachable: "the stage Worker could not be reached",
  stage_timeout: "the stage Worker did not answer in time",
};

function loadReason(cause: string): LoadReason {
  if (/sha256 mismatch|has \d+ bytes, the manifest says/.test(cause)) return "model_file_corrupt";
  if (/is not in the MODEL|is not listed in the manifest|no MODEL|no stage /.test(cause))
    return "model_file_missing";
  return "model_graph_unloadable";
}

export function pipelineStep(stage: Pick<Stage, "role">): "vision encoder" | "language model" {
  return stage.role === "vision" ? "vision encoder" : "language model";
}

export function stageFailure(stage: Stage, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const parsed = parseStageError(err);
  const message = err instanceof Error ? err.message : String(err);
  console.error(`stage ${stage.id} call failed: ${message}`);
  const step = pipelineStep(stage);
  if (!parsed) {
    // Not the stage's own words: our RPC-limit check, or the call never reached the stage (or the platform
    // dropped it: isolate evicted, memory limit).
    if (/RPC limit/.test(message))
      return new ApiError(
        "internal_error",
        `Inference failed in the ${step} (stage ${stage.id}); the request can be retried.`,
        { step, stage: stage.id },
      );
    const reason: LoadReason = /^no answer from stage /.test(message) ? "stage_timeout" : "stage_unreachable";
    return new ApiError(
      "model_unavailable",
      `The model could not be run: stage ${stage.id} is unavailable (${LOAD_DETAIL[reason]}); try again later.`,
      { reason, stage: stage.id },
      { "retry-after": RETRY_AFTER_SECONDS },
    );
  }
  const stageId = parsed.stageId;
  if (parsed.kind === "load") {
    const reason = loadReason(parsed.cause);
    return new ApiError(
      "model_unavailable",
      `The model could not be loaded: stage ${stageId} failed to load (${LOAD_DETAIL[reason]}); try again later.`,
      { reason, stage: stageId },
      { "retry-after": RETRY_AFTER_SECONDS },
    );
  }
  return new ApiError(
    "internal_error",
    `Inference failed in the ${step} (stage ${stageId}); the request can be retried.`,
    { step, stage: stageId },
  );
}
