// The staged deployment in workerd (issue 7), through stage-worker/dev/miniflare.ts's startStagedDeployment:
// the API Worker in staged mode and one Worker per stage, all on Miniflare's workerd, reachable over loopback.
// Loaded lazily so that the benchmark runs (with the edge rows "not available" and the reason) in a checkout
// that does not have it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths";

/** A stage's cold start inside workerd, as its Worker reports it (GET / on the stage Worker). */
export interface WorkerdStageLoad {
  stageId: string;
  bytes?: number;
  /** Reading its graphs and chunks from the local R2 bucket, their sha256 checks, session creation, total. */
  readMs?: number;
  hashMs?: number;
  sessionMs?: number;
  totalMs?: number;
}

export interface EdgeDeployment {
  url: string;
  dispose(): Promise<void>;
  /** Each stage's load figures in its isolate (loads it if it was not yet). */
  stageLoads(): Promise<WorkerdStageLoad[]>;
  /** What the deployment reports about itself (Workers, bindings), kept in the job's facts. */
  facts: Record<string, unknown>;
}

interface StagedModule {
  startStagedDeployment(o: { splitDir: string }): Promise<
    {
      url: string | URL;
      dispose(): Promise<void>;
      manifest?: { stages: { id: string }[] };
      fetchStage?(stageId: string, path?: string): Promise<Response>;
    } & Record<string, unknown>
  >;
}

const MODULE = join(REPO_ROOT, "stage-worker", "dev", "miniflare.ts");

export async function edgeDeployment(): Promise<
  { start(splitDir: string): Promise<EdgeDeployment> } | { unavailable: string }
> {
  if (!existsSync(MODULE))
    return {
      unavailable:
        "not available: the staged deployment harness (stage-worker/dev/miniflare.ts, issue 7) is not in this checkout",
    };
  let mod: StagedModule;
  try {
    mod = (await import(MODULE)) as StagedModule;
  } catch (e) {
    return {
      unavailable: `not available: stage-worker/dev/miniflare.ts does not load (${(e as Error).message.split("\n")[0]})`,
    };
  }
  if (typeof mod.startStagedDeployment !== "function")
    return { unavailable: "not available: stage-worker/dev/miniflare.ts has no startStagedDeployment" };
  return {
    async start(splitDir) {
      const d = await mod.startStagedDeployment({ splitDir });
      const facts = Object.fromEntries(
        Object.entries(d).filter(
          ([, v]) => typeof v === "number" || typeof v === "string" || Array.isArray(v),
        ),
      );
      const stageLoads = async (): Promise<WorkerdStageLoad[]> => {
        if (!d.fetchStage || !d.manifest) return [];
        const out: WorkerdStageLoad[] = [];
        for (const s of d.manifest.stages) {
          const res = await d.fetchStage(s.id, "/");
          const body = (await res.json()) as { info?: Omit<WorkerdStageLoad, "stageId"> };
          if (body.info) out.push({ ...body.info, stageId: s.id });
        }
        return out;
      };
      return { url: String(d.url).replace(/\/$/, ""), dispose: () => d.dispose(), stageLoads, facts };
    },
  };
}
