// The livelock guard of the staged workerd tests (livelock-guard.ts) on fake deployments: a deployment that
// answers nothing (what the livelocked workerd did) is disposed and replaced, and the request re-sent once; a
// slow deployment that still answers /healthz is waited for, never restarted.
import { describe, expect, it } from "vitest";
import type { StagedDeployment } from "../../stage-worker/dev/miniflare";
import { guardDeployment, guarded } from "./livelock-guard";

const FAST = { patienceMs: 30, probeMs: 30 };
const never = () => new Promise<Response>(() => undefined);
const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

function fake(name: string, answer: (path: string) => Promise<Response>) {
  const log = { disposed: false, requests: [] as string[] };
  const d = {
    fetch: (path: string) => {
      log.requests.push(path);
      return answer(path);
    },
    dispose: async () => {
      log.disposed = true;
    },
    name,
  } as unknown as StagedDeployment;
  return { d, log };
}

describe("guarded requests to a staged deployment", () => {
  it("replaces a deployment that answers neither the request nor /healthz, and re-sends the request once", async () => {
    const stuck = fake("stuck", never);
    const fresh = fake("fresh", async () => new Response("fresh answer"));
    const g = guardDeployment(async () => fresh.d, stuck.d);
    const text = await guarded(g, async (d) => (await d.fetch("/v1/analyze")).text(), FAST);
    expect(text).toBe("fresh answer");
    expect(g.restarts).toBe(1);
    expect(g.current()).toBe(fresh.d);
    expect(stuck.log.disposed).toBe(true);
    expect(stuck.log.requests).toEqual(["/v1/analyze", "/healthz"]);
    expect(fresh.log.requests).toEqual(["/v1/analyze"]);
  });

  it("waits for a slow deployment that still answers /healthz", async () => {
    const slow = fake("slow", (path) =>
      path === "/healthz" ? Promise.resolve(new Response("ok")) : after(200, new Response("slow answer")),
    );
    const g = guardDeployment(async () => {
      throw new Error("must not restart");
    }, slow.d);
    const text = await guarded(g, async (d) => (await d.fetch("/v1/analyze")).text(), FAST);
    expect(text).toBe("slow answer");
    expect(g.restarts).toBe(0);
    expect(slow.log.disposed).toBe(false);
    expect(slow.log.requests.filter((p) => p === "/healthz").length).toBeGreaterThanOrEqual(1);
  });

  it("passes a failed request's error through without restarting", async () => {
    const broken = fake("broken", () => Promise.reject(new Error("HTTP 500")));
    const g = guardDeployment(async () => broken.d, broken.d);
    await expect(guarded(g, (d) => d.fetch("/v1/analyze"), FAST)).rejects.toThrow("HTTP 500");
    expect(g.restarts).toBe(0);
  });
});
