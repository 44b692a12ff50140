// Worker names of a staged deployment. Cloudflare accepts lowercase letters, digits and dashes (no leading or
// trailing dash, at most 63 characters; wrangler 4.86 checks the same), so a stage id such as "lm_head-0" is
// written "lm-head-0" in its Worker's name. Binding names keep the stage id (stage-worker/bindings.ts).

export const WORKER_NAME_MAX = 63;

const VALID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function isValidWorkerName(name: string): boolean {
  return name.length <= WORKER_NAME_MAX && VALID.test(name);
}

/** Throws with the reason when a deployment name cannot prefix valid Worker names. */
export function checkDeploymentName(deployment: string): void {
  if (!VALID.test(deployment)) {
    throw new Error(
      `deployment name "${deployment}": use lowercase letters, digits and dashes (not at either end)`,
    );
  }
}

export function apiWorkerName(deployment: string): string {
  return `${deployment}-api`;
}

export function stageWorkerName(deployment: string, stageId: string): string {
  return `${deployment}-stage-${stageId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
}
