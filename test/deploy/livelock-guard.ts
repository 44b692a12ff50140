// Guards a staged-deployment test against a local workerd livelock that is not ours: in about one run of
// test/deploy/staged-workerd.test.ts in 4–8, the staged workerd stopped answering mid-suite with its main thread
// at 100% and no JavaScript or WebAssembly on the stack (perf: workerd's V8 message-loop pump after an RPC,
// cppgc IncrementalSweepTask re-posting itself). Miniflare exposes no V8 flags and newer workerd needs Node 22,
// so it cannot be fixed from here. A request that has not answered after `patienceMs` triggers a liveness
// probe (/healthz); a workerd that is merely slow (a loaded machine) answers it and is waited for; one that does
// not is restarted (Miniflare kills it with SIGKILL) and the request is sent once more to the fresh deployment,
// loudly. Restarts are counted so a test can tell which assertions about earlier state still apply.
import type { StagedDeployment } from "../../stage-worker/dev/miniflare";

export interface GuardedDeployment {
  current(): StagedDeployment;
  /** Disposes the current deployment (bounded wait) and starts a new one. */
  restart(): Promise<void>;
  readonly restarts: number;
}

export interface GuardOptions {
  patienceMs: number;
  probeMs: number;
}

const DEFAULTS: GuardOptions = { patienceMs: 60_000, probeMs: 30_000 };

const sleep = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms).unref());

/** Whether the deployment's API answers /healthz within `ms`. */
export async function answers(d: StagedDeployment, ms: number): Promise<boolean> {
  const probe = d.fetch("/healthz").then(
    async (r) => {
      await r.arrayBuffer();
      return true;
    },
    () => false,
  );
  return Promise.race([probe, sleep(ms, false)]);
}

export function guardDeployment(
  start: () => Promise<StagedDeployment>,
  first: StagedDeployment,
): GuardedDeployment {
  let dep = first;
  let restarts = 0;
  return {
    current: () => dep,
    get restarts() {
      return restarts;
    },
    async restart() {
      const old = dep;
      await Promise.race([old.dispose().catch(() => undefined), sleep(20_000, undefined)]);
      dep = await start();
      restarts++;
    },
  };
}

/** Runs `request` on the current deployment; restarts a livelocked workerd and re-sends once. */
export async function guarded<T>(
  g: GuardedDeployment,
  request: (d: StagedDeployment) => Promise<T>,
  o: GuardOptions = DEFAULTS,
): Promise<T> {
  const pending = request(g.current());
  for (;;) {
    const done = await Promise.race([
      pending.then(
        () => true,
        () => true,
      ),
      sleep(o.patienceMs, false),
    ]);
    if (done) return pending;
    if (await answers(g.current(), o.probeMs)) continue;
    pending.catch(() => undefined); // dies with the killed process
    console.warn(
      `staged workerd did not answer a request in ${o.patienceMs} ms nor /healthz in ${o.probeMs} ms: ` +
        "restarting it (local workerd livelock, see test/deploy/livelock-guard.ts) and re-sending the request",
    );
    await g.restart();
    return request(g.current());
  }
}
