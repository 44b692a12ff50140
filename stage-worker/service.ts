// What a stage Worker does, independent of how it is called: the RPC methods of StageEntrypoint and StageObject
// (index.ts) delegate here, so the same code runs in workerd and, over a loopback, in Node tests.
import { pick } from "../runtime/engine/staged/tensors";
import { DecoderSessions } from "./decoder-sessions";
import { stageError } from "./errors";
import type { StageEnv, StageHost, StageLoadInfo } from "./stage-host";
import {
  assertWithinRpcLimit,
  fromWire,
  fromWireTensor,
  toWire,
  type WireTensor,
  type WireTensors,
} from "./wire";

export class StageService {
  /** A Durable Object instance's open decoder sessions (unused by sequence stages). */
  private readonly sessions = new DecoderSessions();

  constructor(
    private readonly host: StageHost,
    private readonly env: StageEnv,
  ) {}

  /** Runs a sequence stage (vision, encoder; embed and lm_head through the Durable Object). */
  run(inputs: WireTensors): Promise<WireTensors> {
    return this.host.use(this.env, async ({ stage, runner }) => {
      if (stage.program.kind !== "sequence") throw new Error(`${stage.role} stage is not a sequence stage`);
      const out = toWire(await runner.run(stage, fromWire(inputs)));
      assertWithinRpcLimit(out, `the result of stage ${stage.id}`);
      return out;
    });
  }

  async prepare(): Promise<StageLoadInfo> {
    return (await this.host.load(this.env)).info;
  }

  /** Opens a request's decoder session over the encoder states [1, S, d] and mask [1, S]. */
  open(sessionId: string, encoderHidden: WireTensor, encoderMask: WireTensor): Promise<void> {
    return this.host.use(this.env, async ({ stage, runner }) => {
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
    return this.host.use(this.env, async ({ stage }) => {
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

  get openSessions(): number {
    return this.sessions.size;
  }
}
