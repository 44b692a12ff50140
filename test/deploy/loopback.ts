// The stage Workers' code (stage-worker/service.ts) behind in-process stand-ins for the API Worker's bindings:
// service bindings and Durable Object namespaces whose calls structured-clone their arguments and results, as
// Workers RPC does. Lets the RPC runner and the stage service be tested together in Node, in seconds, on
// splits with more stages than a workerd test can afford to start.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SplitManifest } from "../../model-splitter/manifest";
import type { OrtWeb } from "../../runtime/ort-env";
import { isDecoderSide, stageBindingName, stageObjectBindingName } from "../../stage-worker/bindings";
import type { R2BucketLike } from "../../stage-worker/model-store";
import { StageService } from "../../stage-worker/service";
import { StageHost } from "../../stage-worker/stage-host";

/** An R2 bucket over a folder (keys = relative paths); `override` replaces objects (tests corrupt chunks). */
export function folderBucket(dir: string, override: Map<string, Uint8Array> = new Map()): R2BucketLike {
  return {
    async get(key) {
      const bytes =
        override.get(key) ??
        (() => {
          try {
            return new Uint8Array(readFileSync(join(dir, key)));
          } catch {
            return undefined;
          }
        })();
      return bytes ? { arrayBuffer: async () => bytes.slice().buffer } : null;
    },
  };
}

/** Calls counted per binding name (what crossed "isolates"). */
export type LoopbackCalls = Map<string, number>;

const clone = <T>(v: T): T => structuredClone(v);

/** A stub whose every method call clones its arguments and result, like a Workers RPC stub. */
function rpcStub<T extends object>(target: T, name: string, calls: LoopbackCalls): T {
  return new Proxy(target, {
    get(t, prop) {
      const v = (t as Record<string | symbol, unknown>)[prop];
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return clone(await (v as (...a: unknown[]) => unknown).apply(t, clone(args)));
      };
    },
  });
}

/** The API Worker's env for a split folder: STAGE_<ID> and STAGE_OBJ_<ID> bindings served in this process. */
export function loopbackEnv(
  manifest: SplitManifest,
  dir: string,
  ort: OrtWeb,
  wasmModule: WebAssembly.Module,
  bucket: R2BucketLike = folderBucket(dir),
): { env: Record<string, unknown>; calls: LoopbackCalls; hosts: Map<string, StageHost> } {
  const env: Record<string, unknown> = {};
  const calls: LoopbackCalls = new Map();
  const hosts = new Map<string, StageHost>();
  for (const stage of manifest.stages) {
    const host = new StageHost(ort, wasmModule);
    hosts.set(stage.id, host);
    const stageEnv = { STAGE_ID: stage.id, MODEL: bucket, MODEL_PREFIX: "" };
    if (isDecoderSide(stage)) {
      const name = stageObjectBindingName(stage.id);
      const instances = new Map<string, StageService>();
      env[name] = {
        idFromName: (n: string) => n,
        get: (id: string) => {
          let s = instances.get(id);
          if (!s) instances.set(id, (s = new StageService(host, stageEnv)));
          return rpcStub(s, name, calls);
        },
      };
    } else {
      const name = stageBindingName(stage.id);
      env[name] = rpcStub(new StageService(host, stageEnv), name, calls);
    }
  }
  return { env, calls, hosts };
}
