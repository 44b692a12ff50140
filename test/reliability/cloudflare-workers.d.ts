// The one piece of the `cloudflare:workers` module fault-bindings-worker.ts uses (the root project does not load
// @cloudflare/workers-types: its globals clash with Node's and the DOM's).
declare module "cloudflare:workers" {
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected readonly ctx: unknown;
    protected readonly env: Env;
    constructor(ctx: unknown, env: Env);
  }
}
