import { PromptError } from "./prompt-error";
import { TASKS, TASK_TOKENS, type TaskSlug, type TaskToken } from "./tasks";

const BY_SLUG = new Map<string, TaskToken>(TASK_TOKENS.map((token) => [TASKS[token].slug, token]));

export function isTaskToken(value: string): value is TaskToken {
  return Object.hasOwn(TASKS, value);
}

export function isTaskSlug(value: string): value is TaskSlug {
  return BY_SLUG.has(value);
}

/** `<OD>` or `od` → `<OD>`. Exact match only (tokens are case-sensitive in the reference too). */
export function resolveTask(tokenOrSlug: string): TaskToken {
  if (isTaskToken(tokenOrSlug)) return tokenOrSlug;
  const bySlug = BY_SLUG.get(tokenOrSlug);
  if (bySlug !== undefined) return bySlug;
  throw new PromptError("unknown_task", `Unknown task ${JSON.stringify(tokenOrSlug)}.`);
}

export function slugOf(task: TaskToken): TaskSlug {
  return TASKS[task].slug;
}
