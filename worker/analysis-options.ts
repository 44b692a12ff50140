// Request parameters (already schema-checked) → the analysis to run, with the server's defaults and cap
// applied and the task/text_input pair checked before any image work is spent on it.
import { buildPrompt, resolveTask, TASKS, type PixelBox, type TaskToken } from "../runtime/prompt";
import type { AppConfig } from "./config";
import { ApiError } from "./problem";

export interface AnalysisParams {
  task?: string;
  text_input?: string | readonly number[];
  num_beams?: number;
  max_new_tokens?: number;
}

export interface AnalysisOptions {
  task: TaskToken;
  textInput?: string | PixelBox;
  numBeams: number;
  maxNewTokens: number;
}

export const DEFAULT_TASK: TaskToken = "<CAPTION>";

// "[x1, y1, x2, y2]" or "x1,y1,x2,y2" in a query string or form field.
const PIXEL_BOX_TEXT =
  /^\s*\[?\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*,\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*,\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*,\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*\]?\s*$/i;

function regionInput(input: string | readonly number[]): string | PixelBox {
  if (typeof input !== "string") return input as unknown as PixelBox;
  const m = PIXEL_BOX_TEXT.exec(input);
  return m ? (m.slice(1, 5).map(Number) as unknown as PixelBox) : input;
}

export function analysisOptions(params: AnalysisParams, config: AppConfig): AnalysisOptions {
  const task = resolveTask(params.task ?? DEFAULT_TASK);
  let textInput: string | PixelBox | undefined;
  if (params.text_input !== undefined) {
    if (TASKS[task].input === "region") textInput = regionInput(params.text_input);
    else if (typeof params.text_input === "string") textInput = params.text_input;
    else if (TASKS[task].input === "none")
      throw new ApiError("text_input_not_allowed", `Task ${task} takes no text input.`);
    else throw new ApiError("text_input_required", `Task ${task} takes free text, not a pixel box.`);
  }
  const maxNewTokens = params.max_new_tokens ?? config.defaultMaxNewTokens;
  if (maxNewTokens > config.maxNewTokensCap) {
    throw new ApiError(
      "invalid_request",
      `max_new_tokens is ${maxNewTokens}; this server allows at most ${config.maxNewTokensCap}.`,
      {
        errors: [{ path: "max_new_tokens", message: `must be ≤ ${config.maxNewTokensCap}` }],
      },
    );
  }
  // Validates presence, region syntax and length now (a pixel box is quantised later against the real size).
  buildPrompt(task, textInput, { width: 1, height: 1 });
  return { task, textInput, numBeams: params.num_beams ?? config.defaultNumBeams, maxNewTokens };
}
