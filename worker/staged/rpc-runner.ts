// The staged engine's StageRunner over the stage Workers (stage-worker/): sequence stages through service
// bindings (WorkerEntrypoint RPC), decoder-side stages through Durable Object stubs. StagedEngine drives it
// exactly as it drives the in-process LocalStageRunner, so the API Worker's code does not change with the
// layout. Every call is counted by kind (stage-calls.ts). A stage's failure becomes an ApiError naming the
// stage (stage-failure.ts): 503 model_unavailable when it cannot load, 500 internal_error when it throws.
import type { SplitManifest, Stage } from "../../model-splitter/manifest";
import { isDecoderSide, stageBindingName, stageObjectBindingName } from "../../stage-worker/bindings";
import {
  assertWithinRpcLimit,
  fromWire,
  payloadBytes,
  toWire,
  toWireTensor,
  type WireTensor,
  type WireTensors,
} from "../../stage-worker/wire";
import type { DecoderStageSession, StageRunner } from "../../runtime/engine/staged/runner";
import type { NamedTensors, StageTensor } from "../../runtime/engine/staged/tensors";
import { StageCallCounter, type StageCallKind } from "./stage-calls";
import { stageFailure } from "./stage-failure";

/** The RPC surface of a sequence stage's service binding (StageEntrypoint). */
export interface StageService {
  run(inputs: WireTensors): Promise<WireTensors>;
}

/** The RPC surface of a decoder-side stage's Durable Object (StageObject). */
export interface StageObjectStub extends StageService {
  open(sessionId: string, encoderHidden: WireTensor, encoderMask: WireTensor): Promise<void>;
  step(sessionId: string, inputs: WireTensors, rows: number, reorder: number[] | null): Promise<WireTensors>;
  close(sessionId: string): Promise<boolean>;
}

export interface StageObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): StageObjectStub;
}

export interface RpcStageRunnerOptions {
  /**
   * Durable Object instances per decoder-side stage. A request's decoder session lives in one instance for
   * all its steps; requests are spread over the instances round robin (each instance runs one call at a
   * time, and instances of one script may share an isolate and its loaded sessions).
   */
  objectPool?: number;
  /**
   * A call unanswered after this long fails the request with 503 naming the stage (default 60 s: a cold
   * stage of the base model loads in seconds). The stage may still finish; its result is dropped.
   */
  callTimeoutMs?: number;
}

export class RpcStageRunner implements StageRunner {
  readonly calls = new StageCallCounter();
  private readonly objectPool: number;
  private readonly callTimeoutMs: number;
  private nextSlot = 0;

  constructor(
    readonly manifest: SplitManifest,
    private readonly env: Record<string, unknown>,
    opts: RpcStageRunnerOptions = {},
  ) {
    this.objectPool = Math.max(1, Math.floor(opts.objectPool ?? 8));
    this.callTimeoutMs = opts.callTimeoutMs ?? 60_000;
  }

  /** Throws (naming the stage and binding) when a stage has no binding of the kind it needs. */
  checkBindings(): void {
    for (const stage of this.manifest.stages) {
      const name = bindingFor(stage);
      const b = this.env[name] as Record<string, unknown> | undefined;
      const ok = isDecoderSide(stage) ? typeof b?.idFromName === "function" : typeof b?.run === "function";
      if (!ok)
        throw new Error(
          `stage ${stage.id} has no ${isDecoderSide(stage) ? "Durable Object namespace" : "service"} binding ${name}`,
        );
    }
  }

  async run(stage: Stage, inputs: NamedTensors): Promise<NamedTensors> {
    const wire = toWire(inputs);
    const target: StageService = isDecoderSide(stage) ? this.object(stage, this.slot()) : this.service(stage);
    const out = await this.call(stage, wire, () => target.run(wire));
    return fromWire(out);
  }

  async openDecoder(
    stage: Stage,
    encoderHidden: StageTensor,
    encoderMask: StageTensor,
  ): Promise<DecoderStageSession> {
    if (!isDecoderSide(stage)) throw new Error(`stage ${stage.id} is not decoder-side`);
    const stub = this.object(stage, this.slot());
    const sessionId = crypto.randomUUID();
    const hidden = toWireTensor(encoderHidden);
    const mask = toWireTensor(encoderMask);
    await this.call(stage, { hidden, mask }, () => stub.open(sessionId, hidden, mask));
    return new RpcDecoderStageSession(this, stage, stub, sessionId);
  }

  async release(): Promise<void> {
    // Nothing is held here: the stages keep their sessions for their isolates' lives.
  }

  /** One counted call to a stage; failures become ApiErrors naming the stage. */
  async call<T extends WireTensors | void | boolean>(
    stage: Stage,
    sent: WireTensors,
    fn: () => Promise<T>,
  ): Promise<T> {
    const kind: StageCallKind = isDecoderSide(stage) ? "durable_object" : "service_binding";
    try {
      const bytes = assertWithinRpcLimit(sent, `the call to stage ${stage.id}`);
      return await this.calls.track(
        kind,
        bytes,
        () => withTimeout(fn(), this.callTimeoutMs, stage.id),
        (r) => (r && typeof r === "object" ? payloadBytes(r) : 0),
      );
    } catch (err) {
      throw stageFailure(stage, err);
    }
  }

  private slot(): number {
    const s = this.nextSlot;
    this.nextSlot = (s + 1) % this.objectPool;
    return s;
  }

  private service(stage: Stage): StageService {
    return this.env[stageBindingName(stage.id)] as StageService;
  }

  private object(stage: Stage, slot: number): StageObjectStub {
    const ns = this.env[stageObjectBindingName(stage.id)] as StageObjectNamespace;
    return ns.get(ns.idFromName(`${stage.id}/${slot}`));
  }
}

/** The stage's timeout, as the transport would word it (stage-failure.ts answers 503 stage_unreachable). */
function withTimeout<T>(p: Promise<T>, ms: number, stageId: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from stage ${stageId} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function bindingFor(stage: Stage): string {
  return isDecoderSide(stage) ? stageObjectBindingName(stage.id) : stageBindingName(stage.id);
}

/**
 * A request's decoder session on one decoder stage: the caches stay in the Durable Object instance, this side
 * holds the session id. A beam reordering is kept until the next step and sent with it (no call of its own);
 * dispose closes the remote session without waiting (an abandoned one expires there).
 */
class RpcDecoderStageSession implements DecoderStageSession {
  private steps = 0;
  private rowCount = 0;
  private pendingReorder: number[] | null = null;
  private disposed = false;

  constructor(
    private readonly runner: RpcStageRunner,
    private readonly stage: Stage,
    private readonly stub: StageObjectStub,
    private readonly sessionId: string,
  ) {}

  get length(): number {
    return this.steps;
  }

  async step(inputs: NamedTensors, rows: number): Promise<NamedTensors> {
    if (this.disposed) throw new Error("decoder stage session is disposed");
    const wire = toWire(inputs);
    const reorder = this.pendingReorder;
    const out = await this.runner.call(this.stage, wire, () =>
      this.stub.step(this.sessionId, wire, rows, reorder),
    );
    this.pendingReorder = null;
    this.rowCount = rows;
    this.steps++;
    return fromWire(out);
  }

  reorder(sourceRows: readonly number[]): void {
    if (this.disposed) throw new Error("decoder stage session is disposed");
    if (this.steps === 0) throw new Error("reorder before the first step");
    for (const r of sourceRows)
      if (!Number.isInteger(r) || r < 0 || r >= this.rowCount)
        throw new RangeError(`reorder row ${r} is not one of ${this.rowCount} rows`);
    // Two reorderings before a step compose: new row i continues pending[sourceRows[i]].
    const prev = this.pendingReorder;
    this.pendingReorder = prev ? sourceRows.map((r) => prev[r]!) : [...sourceRows];
    this.rowCount = sourceRows.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner
      .call(this.stage, {}, () => this.stub.close(this.sessionId))
      .catch((err: unknown) => {
        console.error(`closing decoder session on stage ${this.stage.id} failed:`, err);
      });
  }
}
