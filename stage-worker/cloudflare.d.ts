// The pieces of the `cloudflare:workers` module the stage Worker uses (the project does not load
// @cloudflare/workers-types: its globals clash with the DOM lib the runtime is checked against).
declare module "cloudflare:workers" {
  export abstract class WorkerEntrypoint<Env = unknown> {
    protected readonly ctx: unknown;
    protected readonly env: Env;
    constructor(ctx: unknown, env: Env);
    fetch?(request: Request): Response | Promise<Response>;
  }
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: unknown;
    protected readonly env: Env;
    constructor(ctx: unknown, env: Env);
  }
}

declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
