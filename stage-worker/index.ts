// The stage Worker: one script per stage of a split model (which one: env STAGE_ID), loading its graphs from
// R2 or KV (stage-host.ts) and serving them two ways:
//   - StageEntrypoint (default export, a WorkerEntrypoint): sequence stages (vision, encoder) as an RPC method
//     run(tensors) → tensors, called by the API Worker through a service binding;
//   - StageObject (a Durable Object): decoder-side stages (embed, decoder-k, lm_head), called once per token.
//     Durable Object calls do not count as Worker invocations, and an instance stays where it was created, so
//     a request's decoder caches (LocalDecoderStageSession) stay in the instance between steps.
// The work itself is service.ts. Errors reach the caller as "stage <id> could not load: …" or
// "stage <id> failed: …" (errors.ts).
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import * as ortWeb from "onnxruntime-web/wasm";
// A relative path, as in worker/index.ts: wrangler's module collector cannot follow package-exported .wasm.
import ortWasm from "../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import { StageService } from "./service";
import { StageHost, type StageEnv, type StageLoadInfo } from "./stage-host";
import type { StageStatus } from "./status";
import type { WireTensor, WireTensors } from "./wire";

export type { WireTensor, WireTensors } from "./wire";
export type { StageLoadInfo } from "./stage-host";
export type { StageStatus } from "./status";

/**
 * One per isolate: every entrypoint and Durable Object instance of this script in the isolate shares the
 * loaded stage. (On Cloudflare a script's Durable Objects may run in other isolates than its stateless
 * entrypoint: each loads the stage once.)
 */
const host = new StageHost(ortWeb, ortWasm);

export default class StageEntrypoint extends WorkerEntrypoint<StageEnv> {
  /** Runs this sequence stage: its declared inputs in, its declared outputs out. */
  run(inputs: WireTensors): Promise<WireTensors> {
    return new StageService(host, this.env).run(inputs);
  }

  /** Loads the stage now (a warm-up; also what a deploy check calls) and reports the cold-start figures. */
  prepare(): Promise<StageLoadInfo> {
    return new StageService(host, this.env).prepare();
  }

  /**
   * GET / → the stage's status as JSON, loading it first (a failure answers 503 with the cause);
   * GET /?load=0 → the status as it is, without loading.
   */
  override async fetch(request: Request): Promise<Response> {
    const stageId = this.env.STAGE_ID;
    if (new URL(request.url).searchParams.get("load") === "0") {
      const info = host.current?.info;
      return Response.json({
        stageId,
        loaded: info !== undefined,
        attempts: host.attempts,
        info,
      } satisfies StageStatus);
    }
    try {
      const { info } = await host.load(this.env);
      return Response.json({ stageId, loaded: true, attempts: host.attempts, info } satisfies StageStatus);
    } catch (err) {
      const status: StageStatus = { stageId, loaded: false, attempts: host.attempts, error: String(err) };
      return Response.json(status, { status: 503 });
    }
  }
}

export class StageObject extends DurableObject<StageEnv> {
  private readonly service = new StageService(host, this.env);

  /** Stateless run of a decoder-side sequence stage (embed, lm_head). */
  run(inputs: WireTensors): Promise<WireTensors> {
    return this.service.run(inputs);
  }

  prepare(): Promise<StageLoadInfo> {
    return this.service.prepare();
  }

  /** Opens a request's decoder session (decoder stages) over the encoder states and mask. */
  open(sessionId: string, encoderHidden: WireTensor, encoderMask: WireTensor): Promise<void> {
    return this.service.open(sessionId, encoderHidden, encoderMask);
  }

  /** One decoding step; `reorder` is the beam reordering since the last step (see StageService.step). */
  step(sessionId: string, inputs: WireTensors, rows: number, reorder: number[] | null): Promise<WireTensors> {
    return this.service.step(sessionId, inputs, rows, reorder);
  }

  close(sessionId: string): Promise<boolean> {
    return this.service.close(sessionId);
  }

  /** Open decoder sessions in this instance (for tests and operators). */
  async sessionCount(): Promise<number> {
    return this.service.openSessions;
  }
}
