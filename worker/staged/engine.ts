// The staged engine of the API Worker (MODEL_LAYOUT=staged): the split model's manifest from the MODEL bucket,
// its stages reached through the Worker's bindings (RpcStageRunner). Creating it costs one R2 read; the
// stages load in their own isolates on their first call.
import type { LoadFile } from "../../runtime/engine/model-files";
import { StagedEngine } from "../../runtime/engine/staged/engine";
import { readManifest } from "../../runtime/engine/staged/web";
import { RpcStageRunner, type RpcStageRunnerOptions } from "./rpc-runner";

export interface StagedDeploymentEngine {
  engine: StagedEngine;
  runner: RpcStageRunner;
}

export async function createRpcStagedEngine(
  env: Record<string, unknown>,
  loadFile: LoadFile,
  opts: RpcStageRunnerOptions = {},
): Promise<StagedDeploymentEngine> {
  const manifest = await readManifest(loadFile);
  const runner = new RpcStageRunner(manifest, env, opts);
  runner.checkBindings();
  return { engine: new StagedEngine(manifest, runner), runner };
}
