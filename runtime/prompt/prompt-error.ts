/**
 * The one error type the prompt side throws. `code` is stable (the API maps it to a 4xx problem response);
 * `message` is for humans and may change.
 */
export type PromptErrorCode =
  /** Neither a task token (`<OD>`) nor a slug (`od`) we know. */
  | "unknown_task"
  /** The task needs text after its token (free text or a region) and none was given. */
  | "text_input_required"
  /** The task takes no text (the reference asserts the token is the whole prompt). */
  | "text_input_not_allowed"
  /** A region that is not four `<loc_0..999>` tokens or a finite pixel box, or whose corners are reversed. */
  | "invalid_region"
  /** The text input is longer than the configured limit. */
  | "text_input_too_long";

export class PromptError extends Error {
  override readonly name = "PromptError";
  readonly code: PromptErrorCode;

  constructor(code: PromptErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isPromptError(e: unknown): e is PromptError {
  return e instanceof PromptError;
}
