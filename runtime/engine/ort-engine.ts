// The Florence-2 engine over four onnxruntime sessions, whichever onnxruntime package created them
// (onnxruntime-web in runtime/engine/ort-web.ts, onnxruntime-node in runtime-node/).
import { OrtDecoderSession } from "./decoder-session";
import {
  staticDim,
  type Feeds,
  type InferenceSession,
  type Tensor,
  type TensorConstructor,
} from "./ort-types";
import type { DecoderSession, EngineInfo, Florence2Engine, GraphName } from "./types";

export type GraphSessions = Record<GraphName, InferenceSession>;

/** Reads the model dimensions the engine needs from the graphs' declared input/output shapes. */
export function readEngineInfo(
  sessions: GraphSessions,
  backend: EngineInfo["backend"],
  threads: number,
): EngineInfo {
  const dec = sessions.decoder_model_merged;
  const layers = dec.inputNames.filter((n) => /^past_key_values\.\d+\.decoder\.key$/.test(n)).length;
  if (layers === 0)
    throw new Error(
      "decoder_model_merged has no past_key_values.*.decoder.key inputs (not a merged decoder?)",
    );
  return {
    backend,
    threads,
    dModel: staticDim(dec, "inputs_embeds", "input", 2, "the hidden size"),
    vocabSize: staticDim(dec, "logits", "output", 2, "the vocabulary size"),
    decoderLayers: layers,
    heads: staticDim(dec, "past_key_values.0.decoder.key", "input", 1, "the decoder heads"),
    headDim: staticDim(dec, "past_key_values.0.decoder.key", "input", 3, "the decoder head size"),
  };
}

export class OrtFlorence2Engine implements Florence2Engine {
  readonly info: EngineInfo;
  /**
   * Runs are chained: one isolate may serve several requests at once, and onnxruntime-web does not allow a
   * session to run twice concurrently. On one WASM thread nothing is lost by queueing.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;

  constructor(
    private readonly sessions: GraphSessions,
    private readonly Tensor: TensorConstructor,
    backend: EngineInfo["backend"],
    threads: number,
  ) {
    this.info = readEngineInfo(sessions, backend, threads);
  }

  async encodeImage(pixelValues: Float32Array, dims: readonly [1, 3, number, number]): Promise<Float32Array> {
    if (pixelValues.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`pixel_values has ${pixelValues.length} values for dims [${dims.join(", ")}]`);
    const out = await this.run("vision_encoder", {
      pixel_values: new this.Tensor("float32", pixelValues, [...dims]),
    });
    return floats(out, "image_features");
  }

  async embedTokens(ids: readonly number[] | BigInt64Array): Promise<Float32Array> {
    const data = ids instanceof BigInt64Array ? ids : BigInt64Array.from(ids, (i) => BigInt(i));
    return this.embed(data, [1, data.length]);
  }

  async encode(
    inputsEmbeds: Float32Array,
    attentionMask: BigInt64Array,
    seqLen: number,
  ): Promise<Float32Array> {
    const d = this.info.dModel;
    if (inputsEmbeds.length !== seqLen * d)
      throw new Error(`inputs_embeds has ${inputsEmbeds.length} values, expected ${seqLen}×${d}`);
    if (attentionMask.length !== seqLen)
      throw new Error(`attention_mask has ${attentionMask.length} entries, expected ${seqLen}`);
    const out = await this.run("encoder_model", {
      inputs_embeds: new this.Tensor("float32", inputsEmbeds, [1, seqLen, d]),
      attention_mask: new this.Tensor("int64", attentionMask, [1, seqLen]),
    });
    return floats(out, "last_hidden_state");
  }

  async startDecoder(
    encoderHidden: Float32Array,
    encoderMask: BigInt64Array,
    seqLen: number,
  ): Promise<DecoderSession> {
    return new OrtDecoderSession(
      {
        info: this.info,
        Tensor: this.Tensor,
        runDecoder: (feeds) => this.run("decoder_model_merged", feeds),
        embedRows: (ids) => this.embed(ids, [ids.length, 1]),
      },
      encoderHidden,
      encoderMask,
      seqLen,
    );
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue.catch(() => undefined);
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }

  private async embed(ids: BigInt64Array, dims: number[]): Promise<Float32Array> {
    const out = await this.run("embed_tokens", { input_ids: new this.Tensor("int64", ids, dims) });
    return floats(out, "inputs_embeds");
  }

  private run(graph: GraphName, feeds: Feeds): Promise<InferenceSession.ReturnType> {
    if (this.released) return Promise.reject(new Error("engine is released"));
    const result = this.queue.then(() => this.sessions[graph].run(feeds));
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function floats(out: InferenceSession.ReturnType, name: string): Float32Array {
  const t: Tensor | undefined = out[name];
  if (!t) throw new Error(`no output named ${name}`);
  if (!(t.data instanceof Float32Array)) throw new Error(`${name} is ${t.type}, expected float32`);
  return t.data;
}
