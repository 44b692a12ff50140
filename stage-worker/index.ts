// The stage Worker: one script per stage of a split model (which one: env STAGE_ID), loading its graphs from
// R2 or KV (stage-host.ts) and serving them two ways:
//   - StageEntrypoint (default export, a WorkerEntrypoint): sequence stages (vision, encoder) as an RPC method
//     run(tensors) → tensors, called by the API Worker through a service binding;
//   - StageObject (a Durable Object): decoder-side stages (embed, decoder-k, lm_head), called once per token.
//     Durable Object calls do not count as Worker invocations, and an instance stays where it was created, so
//     a request's decoder caches (LocalDecoderStageSession) stay in the instance between steps.
// Errors reach the caller as "stage <id> could not load: …" or "stage <id> failed: …" (errors.ts).
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import * as ortWeb from "onnxruntime-web/wasm";
// A relative path, as in worker/index.ts: wrangler's module collector cannot follow package-exported .wasm.
import ortWasm from "../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import { pick } from "../runtime/engine/staged/tensors";
import { DecoderSessions } from "./decoder-sessions";
import { stageError } from "./errors";
import { StageHost, type LoadedStage, type StageEnv, type StageLoadInfo } from "./stage-host";
import { assertWithinRpcLimit, fromWire, fromWireTensor, toWire, type WireTensor, type WireTensors } from "./wire";

export type { WireTensor, WireTensors } from "./wire";
export type { StageLoadInfo } from "./stage-host";

/** One per isolate: every entrypoint and Durable Object instance of this script shares the loaded stage. */
const host = new StageHost(ortWeb, ortWasm);

async function runSequenceStage(env: StageEnv, inputs: WireTensors): Promise<WireTensors> {
  return host.use(env, async ({ stage, runner }: LoadedStage) => {
    if (stage.program.kind !== "sequence") throw new Error(`${stage.role} stage is not a sequence stage`);
    const out = toWire(await runner.run(stage, fromWire(inputs)));
    assertWithinRpcLimit(out, `the result of stage ${stage.id}`);
    return out;
  });
}

/** What the stage reports about itself (load figures once loaded). */
export interface StageStatus {
  stageId: string | undefined;
  loaded: boolean;
  info?: StageLoadInfo;
}

export default class StageEntrypoint extends WorkerEntrypoint<StageEnv> {
  /** Runs this sequence stage: its declared inputs in, its declared outputs out. */
  run(inputs: WireTensors): Promise<WireTensors> {
    return runSequenceStage(this.env, inputs);
  }

  /** Loads the stage now (a warm-up; also what a deploy check calls) and reports the cold-start figures. */
  async prepare(): Promise<StageLoadInfo> {
    return (await host.load(this.env)).info;
  }

  /** GET / → the stage's status as JSON (loads it first, so a failure is visible as a 503). */
  override async fetch(): Promise<Response> {
    try {
      const { info } = await host.load(this.env);
      return Response.json({ stageId: this.env.STAGE_ID, loaded: true, info } satisfies StageStatus);
    } catch (err) {
      return Response.json({ stageId: this.env.STAGE_ID, loaded: false, error: String(err) }, { status: 503 });
    }
  }
}

export class StageObject extends DurableObject<StageEnv> {
  private readonly sessions = new DecoderSessions();

  /** Stateless run of a decoder-side sequence stage (embed, lm_head). */
  run(inputs: WireTensors): Promise<WireTensors> {
    return runSequenceStage(this.env, inputs);
  }

  async prepare(): Promise<StageLoadInfo> {
    return (await host.load(this.env)).info;
  }

  /** Opens a request's decoder session over the encoder states [1, S, d] and mask [1, S]. */
  open(sessionId: string, encoderHidden: WireTensor, encoderMask: WireTensor): Promise<void> {
    return host.use(this.env, async ({ stage, runner }) => {
      const session = await runner.openDecoder(
        stage,
        fromWireTensor(encoderHidden, "encoder_hidden_states"),
        fromWireTensor(encoderMask, "encoder_attention_mask"),
      );
      this.sessions.add(sessionId, session);
    });
  }

  /**
   * One decoding step for `rows` rows. `reorder` (new row i continues old row reorder[i]) is the beam
   * reordering the API decided since the last step, applied first: it rides on the step instead of costing a
   * call of its own. Returns the stage's declared outputs.
   */
  step(sessionId: string, inputs: WireTensors, rows: number, reorder: number[] | null): Promise<WireTensors> {
    return host.use(this.env, async ({ stage }) => {
      const session = this.sessions.get(sessionId);
      if (reorder) session.reorder(reorder);
      const env = await session.step(fromWire(inputs), rows);
      const out = toWire(
        pick(
          env,
          stage.outputs.map((o) => o.name),
          `stage ${stage.id}`,
        ),
      );
      assertWithinRpcLimit(out, `the result of stage ${stage.id}`);
      return out;
    });
  }

  /** Drops a request's decoder session (its caches). Unknown ids are fine: closing twice is not an error. */
  async close(sessionId: string): Promise<boolean> {
    try {
      return this.sessions.close(sessionId);
    } catch (err) {
      throw stageError(this.env.STAGE_ID ?? "?", "run", err);
    }
  }

  /** Open sessions in this instance (for tests and operators). */
  async sessionCount(): Promise<number> {
    return this.sessions.size;
  }
}
