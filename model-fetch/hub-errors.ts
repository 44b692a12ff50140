// Turns @huggingface/hub's HubApiError (status + URL + body message) into the errors a user can act on.
// The Hub says which thing is missing in its `X-Error-Code` header (RepoNotFound, RevisionNotFound,
// EntryNotFound); hub-fetch records it by URL because HubApiError keeps no headers.
import { HubApiError } from "@huggingface/hub";
import { HubAuthError, HubNotFoundError, HubUnreachableError, type NotFoundKind } from "./errors";

export interface HubErrorContext {
  hubUrl: string;
  repo: string;
  revision: string;
  hasToken: boolean;
  errorCodes: Map<string, string>;
}

/** Maps an error from a Hub call about `path` (or the whole repo) to HubAuthError / HubNotFoundError /
 * HubUnreachableError; anything else is returned unchanged. */
export function classifyHubError(e: unknown, ctx: HubErrorContext, path?: string): unknown {
  const status = e instanceof HubApiError ? e.statusCode : (e as { status?: unknown }).status;
  if (typeof status !== "number") return e;
  const url = e instanceof HubApiError ? e.url : ((e as { url?: string }).url ?? "");
  const where = `${ctx.repo}@${ctx.revision}${path ? ` (${path})` : ""} on ${ctx.hubUrl}`;
  if (status === 401) {
    return new HubAuthError(
      `the Hub refused ${where} with 401 Unauthorized: ` +
        (ctx.hasToken
          ? "HF_TOKEN was sent and rejected (expired or mistyped?); "
          : "no HF_TOKEN is set; if the repo is private or gated, set HF_TOKEN to a read token; ") +
        "the Hub also answers 401 for a repo that does not exist, so check the repo name too",
      status,
      { cause: e },
    );
  }
  if (status === 403) {
    return new HubAuthError(
      `the Hub refused ${where} with 403 Forbidden: ` +
        (ctx.hasToken
          ? "the token in HF_TOKEN has no read access to it (for a gated repo, accept its conditions on the model page first)"
          : "set HF_TOKEN to a token with read access to this repo"),
      status,
      { cause: e },
    );
  }
  if (status === 404) {
    const kind = notFoundKind(ctx.errorCodes.get(url), path);
    const what =
      kind === "repo"
        ? `repository ${ctx.repo} not found on ${ctx.hubUrl}`
        : kind === "revision"
          ? `revision "${ctx.revision}" not found in ${ctx.repo} on ${ctx.hubUrl}`
          : `file ${path ?? "?"} not found in ${ctx.repo}@${ctx.revision} on ${ctx.hubUrl}`;
    return new HubNotFoundError(what, kind, { cause: e });
  }
  // A Hub that answers but fails (5xx, rate limit) cannot serve the model now: for `npm start` that is the
  // same situation as an unreachable one.
  if (status >= 500 || status === 429) {
    return new HubUnreachableError(ctx.hubUrl, `it answered HTTP ${status} for ${where}`, { cause: e });
  }
  return e;
}

function notFoundKind(code: string | undefined, path: string | undefined): NotFoundKind {
  if (code === "RepoNotFound") return "repo";
  if (code === "RevisionNotFound") return "revision";
  if (code === "EntryNotFound") return "file";
  return path ? "file" : "repo";
}
