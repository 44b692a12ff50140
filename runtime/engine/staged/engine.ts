// Florence2Engine over a split model (model-splitter/manifest.ts): each call runs its role's stages in
// manifest order through a StageRunner, passing named values from one stage to the next. The decoder session
// chains, per step, the embed stage (token ids → embeddings), the decoder stages (which keep the caches) and
// the lm_head stage (hidden state → token scores).
import { stagesOf, type SplitManifest, type StageRole } from "../../../model-splitter/manifest";
import type { DecoderSession, EngineInfo, Florence2Engine } from "../types";
import type { DecoderStageSession, StageRunner } from "./runner";
import { floatsOf, floatTensor, int64Tensor, pick, type NamedTensors } from "./tensors";

export class StagedEngine implements Florence2Engine {
  readonly info: EngineInfo;
  /** One WASM thread: calls are queued, as in the single-session engine. */
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;

  constructor(
    readonly manifest: SplitManifest,
    private readonly runner: StageRunner,
    threads = 1,
  ) {
    this.info = { backend: "staged", threads, ...manifest.engine };
  }

  encodeImage(pixelValues: Float32Array, dims: readonly [1, 3, number, number]): Promise<Float32Array> {
    if (pixelValues.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`pixel_values has ${pixelValues.length} values for dims [${dims.join(", ")}]`);
    return this.serial(async () =>
      floatsOf(
        (await this.runRole("vision", new Map([["pixel_values", floatTensor(pixelValues, [...dims])]]))).get(
          "image_features",
        ),
        "image_features",
      ),
    );
  }

  embedTokens(ids: readonly number[] | BigInt64Array): Promise<Float32Array> {
    const data = ids instanceof BigInt64Array ? ids : BigInt64Array.from(ids, (i) => BigInt(i));
    return this.serial(() => this.embed(data, [1, data.length]));
  }

  encode(inputsEmbeds: Float32Array, attentionMask: BigInt64Array, seqLen: number): Promise<Float32Array> {
    const d = this.info.dModel;
    if (inputsEmbeds.length !== seqLen * d)
      throw new Error(`inputs_embeds has ${inputsEmbeds.length} values, expected ${seqLen}×${d}`);
    if (attentionMask.length !== seqLen)
      throw new Error(`attention_mask has ${attentionMask.length} entries, expected ${seqLen}`);
    this.checkLength(seqLen);
    const env: NamedTensors = new Map([
      ["inputs_embeds", floatTensor(inputsEmbeds, [1, seqLen, d])],
      ["attention_mask", int64Tensor(attentionMask, [1, seqLen])],
    ]);
    return this.serial(async () =>
      floatsOf((await this.runRole("encoder", env)).get("last_hidden_state"), "last_hidden_state"),
    );
  }

  async startDecoder(
    encoderHidden: Float32Array,
    encoderMask: BigInt64Array,
    seqLen: number,
  ): Promise<DecoderSession> {
    const d = this.info.dModel;
    if (encoderHidden.length !== seqLen * d)
      throw new Error(`encoder states hold ${encoderHidden.length} values, expected ${seqLen}×${d}`);
    if (encoderMask.length !== seqLen)
      throw new Error(`encoder mask has ${encoderMask.length} entries, expected ${seqLen}`);
    this.checkLength(seqLen);
    const hidden = floatTensor(encoderHidden, [1, seqLen, d]);
    const mask = int64Tensor(encoderMask, [1, seqLen]);
    const stages = stagesOf(this.manifest, "decoder");
    if (stages.length === 0) throw new Error("the split model has no decoder stage");
    const sessions = await this.serial(() =>
      Promise.all(stages.map((s) => this.runner.openDecoder(s, hidden, mask))),
    );
    return new StagedDecoderSession(
      this,
      sessions,
      stages.map((s) => s.inputs.map((i) => i.name)),
    );
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue.catch(() => undefined);
    await this.runner.release();
  }

  /** The stages were planned for inputs up to this length; longer ones could exceed a stage's memory. */
  private checkLength(seqLen: number): void {
    const max = this.manifest.limits.maxEncoderLength;
    if (seqLen > max)
      throw new RangeError(
        `the encoder input has ${seqLen} tokens; this split model was planned for at most ${max} (image tokens + prompt)`,
      );
  }

  /** Embeds ids [rows, n] (not queued: callers hold the queue). */
  embed(ids: BigInt64Array, dims: number[]): Promise<Float32Array> {
    return this.runRole("embed", new Map([["input_ids", int64Tensor(ids, dims)]])).then((env) =>
      floatsOf(env.get("inputs_embeds"), "inputs_embeds"),
    );
  }

  /** Runs every stage of a role in order; each takes its inputs from the values so far. */
  async runRole(role: StageRole, initial: NamedTensors): Promise<NamedTensors> {
    const env: NamedTensors = new Map(initial);
    const stages = stagesOf(this.manifest, role);
    if (stages.length === 0) throw new Error(`the split model has no ${role} stage`);
    for (const stage of stages) {
      const out = await this.runner.run(
        stage,
        pick(
          env,
          stage.inputs.map((i) => i.name),
          `stage ${stage.id}`,
        ),
      );
      for (const [k, v] of out) env.set(k, v);
    }
    return env;
  }

  serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.released) return Promise.reject(new Error("engine is released"));
    const result = this.queue.then(fn);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

class StagedDecoderSession implements DecoderSession {
  readonly vocabSize: number;
  private rowCount = 0;
  private disposed = false;

  constructor(
    private readonly engine: StagedEngine,
    private readonly stages: DecoderStageSession[],
    /** Input names of each decoder stage (a later stage may read values of any earlier one). */
    private readonly inputs: string[][],
  ) {
    this.vocabSize = engine.info.vocabSize;
  }

  get rows(): number {
    return this.rowCount;
  }

  get length(): number {
    return this.stages[0]!.length;
  }

  step(tokens: ArrayLike<number>): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new Error("decoder session is disposed"));
    const n = tokens.length;
    if (n === 0) return Promise.reject(new Error("step needs at least one token"));
    if (this.length > 0 && n !== this.rowCount)
      return Promise.reject(new Error(`step got ${n} tokens for ${this.rowCount} rows`));
    return this.engine.serial(async () => {
      const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(tokens[i]!));
      const env: NamedTensors = new Map([
        ["inputs_embeds", floatTensor(await this.engine.embed(ids, [n, 1]), [n, 1, this.engine.info.dModel])],
      ]);
      for (const [i, s] of this.stages.entries())
        for (const [k, v] of await s.step(pick(env, this.inputs[i]!, `decoder stage ${i}`), n)) env.set(k, v);
      const logits = floatsOf((await this.engine.runRole("lm_head", env)).get("logits"), "logits");
      if (logits.length !== n * this.vocabSize)
        throw new Error(`lm_head returned ${logits.length} scores for ${n} rows of ${this.vocabSize}`);
      this.rowCount = n;
      return logits;
    });
  }

  reorder(sourceRows: readonly number[]): void {
    if (this.disposed) throw new Error("decoder session is disposed");
    for (const s of this.stages) s.reorder(sourceRows);
    this.rowCount = sourceRows.length;
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.stages) s.dispose();
  }
}
