// Every answer of the concurrent run against the sequential run of the same requests: a 200 must be for the
// request's own image (sha256) and task and carry exactly the reference's result; anything else must be a
// documented refusal (429 rate_limited or 503 model_unavailable, with Retry-After). Nothing may be missing.
import type { Outcome } from "./run";
import type { LoadRequest, Workload } from "./workload";

export interface Verdict {
  correct: number;
  /** 200s whose image, task or result differ from the reference: must be 0. */
  wrong: { id: number; why: string }[];
  /** Documented refusals (status → code → count). */
  refused: Record<string, number>;
  /** Anything else: undocumented statuses, network errors, timeouts, requests never sent. */
  failed: Record<string, number>;
  /** Requests without exactly one outcome: must be 0. */
  lost: number;
  /** Answers by cache path: result hit, feature hit, miss. */
  paths: Record<string, number>;
}

const DOCUMENTED: Record<number, string> = { 429: "rate_limited", 503: "model_unavailable" };

const stable = (v: unknown) => JSON.stringify(v);

export function checkRun(
  w: Workload,
  requests: readonly LoadRequest[],
  outcomes: readonly Outcome[],
  reference: readonly Outcome[],
): Verdict {
  const v: Verdict = { correct: 0, wrong: [], refused: {}, failed: {}, lost: 0, paths: {} };
  const ids = new Set(outcomes.map((o) => o.id));
  v.lost = requests.filter((r) => !ids.has(r.id)).length + (outcomes.length - ids.size);
  for (const r of requests) {
    const o = outcomes[r.id]!;
    if (o.status === 200) {
      const b = o.body!;
      const ref = reference[r.id];
      const why =
        b.image?.sha256 !== w.images[r.image]!.sha256
          ? "another image's answer"
          : b.task !== r.task
            ? `task ${b.task}`
            : ref?.status !== 200
              ? `no reference answer (${String(ref?.status)})`
              : stable(b.result) !== stable(ref.body!.result)
                ? "result differs from the sequential run"
                : undefined;
      if (why) v.wrong.push({ id: r.id, why });
      else v.correct++;
      const path =
        b.cache.result === "hit" ? "result hit" : b.cache.features === "hit" ? "feature hit" : "computed";
      v.paths[path] = (v.paths[path] ?? 0) + 1;
    } else if (
      typeof o.status === "number" &&
      DOCUMENTED[o.status] === o.code &&
      /^\d+$/.test(o.retryAfter ?? "")
    ) {
      const k = `${o.status} ${o.code}`;
      v.refused[k] = (v.refused[k] ?? 0) + 1;
    } else {
      const k = typeof o.status === "number" ? `${o.status} ${o.code ?? ""}`.trim() : o.status;
      v.failed[k] = (v.failed[k] ?? 0) + 1;
    }
  }
  return v;
}

/** The sequential run must agree with itself: identical requests, identical answers. */
export function selfConsistent(requests: readonly LoadRequest[], reference: readonly Outcome[]): string[] {
  const byKey = new Map<string, string>();
  const problems: string[] = [];
  for (const r of requests) {
    const o = reference[r.id]!;
    if (o.status !== 200) {
      problems.push(`reference request ${r.id}: ${o.status} ${o.code ?? o.error ?? ""}`);
      continue;
    }
    const got = stable(o.body!.result);
    const seen = byKey.get(r.key);
    if (seen !== undefined && seen !== got)
      problems.push(`reference request ${r.id}: another answer than an identical earlier request`);
    byKey.set(r.key, got);
  }
  return problems;
}
