import { PromptError } from "./prompt-error";
import { TASKS, TASK_TOKENS } from "./tasks";

const WITHOUT_INPUT = TASK_TOKENS.filter((t) => TASKS[t].input === "none");
// Order matters below (first token found wins); TASKS lists these in the reference table's order.
const WITH_INPUT = TASK_TOKENS.filter((t) => TASKS[t].input !== "none");

/**
 * The reference's `_construct_prompts` for one string (`task token + text input`, as the model card builds
 * it), step for step:
 * 1. if any input-less task token occurs anywhere in the text, the text must be exactly that token
 *    (the reference asserts; we throw `text_input_not_allowed`) and becomes its fixed prompt;
 * 2. then the first task-with-input token that occurs is removed everywhere from the text and the rest is
 *    placed verbatim (not trimmed) into that task's template.
 * Text without any task token passes through unchanged.
 */
export function constructPrompt(text: string): string {
  let prompt = text;
  for (const token of WITHOUT_INPUT) {
    if (prompt.includes(token)) {
      if (prompt !== token) {
        throw new PromptError(
          "text_input_not_allowed",
          `Task token ${token} must stand alone: it takes no text input (and no text may contain it).`,
        );
      }
      prompt = TASKS[token].prompt;
      break;
    }
  }
  for (const token of WITH_INPUT) {
    if (prompt.includes(token)) {
      const input = prompt.replaceAll(token, "");
      // split/join, not String.replace: the input must not be read as a replacement pattern ("$&").
      prompt = TASKS[token].prompt.split("{input}").join(input);
      break;
    }
  }
  return prompt;
}
