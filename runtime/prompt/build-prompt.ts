import { constructPrompt } from "./construct-prompt";
import type { ImageSize } from "./image-size";
import { PromptError } from "./prompt-error";
import { regionToLocText, type RegionInput } from "./region";
import { resolveTask } from "./resolve-task";
import { TASKS, type TaskSlug, type TaskToken } from "./tasks";

/**
 * A cheap first guard, in UTF-16 code units. The hard limit is in tokens: the language encoder has 1024
 * positions and the image takes 577, so prompt ids (with `<s>`/`</s>`) must stay ≤ 447; that check needs
 * the tokenizer and belongs to the caller that encodes the prompt.
 */
export const DEFAULT_MAX_TEXT_INPUT_LENGTH = 1000;

export interface BuildPromptOptions {
  readonly maxTextInputLength?: number;
}

/**
 * Task (token `<OD>` or slug `od`) + optional input → the prompt text the tokenizer encodes (it adds `<s>`
 * and `</s>` itself). Region tasks take `<loc_x1><loc_y1><loc_x2><loc_y2>` or a pixel box plus the
 * original image size; free-text tasks take the text verbatim, as the reference does (no trimming).
 *
 * @throws PromptError unknown_task | text_input_required | text_input_not_allowed | invalid_region |
 *   text_input_too_long
 */
export function buildPrompt(
  task: TaskToken | TaskSlug | (string & {}),
  textInput?: string | RegionInput,
  imageSize?: ImageSize,
  options: BuildPromptOptions = {},
): string {
  const token = resolveTask(task);
  const spec = TASKS[token];

  if (spec.input === "none") {
    // Only an absent or empty input leaves the reference's `prompt == task token` assertion true.
    if (textInput !== undefined && textInput !== "") {
      throw new PromptError("text_input_not_allowed", `Task ${token} takes no text input.`);
    }
    return constructPrompt(token);
  }

  if (textInput === undefined || (typeof textInput === "string" && textInput.trim() === "")) {
    throw new PromptError(
      "text_input_required",
      spec.input === "region"
        ? `Task ${token} needs a region: <loc_x1><loc_y1><loc_x2><loc_y2> or a pixel box [x1, y1, x2, y2].`
        : `Task ${token} needs a text input.`,
    );
  }

  let input: string;
  if (spec.input === "region") {
    input = regionToLocText(textInput, imageSize);
  } else {
    if (typeof textInput !== "string") {
      throw new PromptError("text_input_required", `Task ${token} takes free text, not a pixel box.`);
    }
    const max = options.maxTextInputLength ?? DEFAULT_MAX_TEXT_INPUT_LENGTH;
    if (textInput.length > max) {
      throw new PromptError(
        "text_input_too_long",
        `Text input is ${textInput.length} characters; the limit is ${max}.`,
      );
    }
    input = textInput;
  }
  return constructPrompt(token + input);
}
