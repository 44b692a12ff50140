import { PromptError } from "../../runtime/prompt";

/** The PromptError code `fn` throws, or undefined if it returns; any other error is rethrown. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PromptError) return e.code;
    throw e;
  }
  return undefined;
}
