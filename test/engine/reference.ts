// The independent reference for engine tests: plain onnxruntime-node sessions over the same files, fed by hand
// the way REFERENCE.md §2 describes, with no engine code involved. In particular the decoder reference never
// uses a cache: it runs the no-past branch over the whole prefix, which is what a correct cache must reproduce.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { GraphName } from "../../runtime/engine/types";

export interface ReferenceModel {
  vision(pixels: Float32Array, dims: number[]): Promise<Float32Array>;
  embed(ids: readonly number[]): Promise<Float32Array>;
  encode(embeds: Float32Array, mask: BigInt64Array): Promise<Float32Array>;
  /** Logits [tokens.length, vocab] of the no-past branch over the whole prefix (batch 1). */
  decodeFull(tokens: readonly number[], hidden: Float32Array, mask: BigInt64Array): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function referenceModel(dir: string): Promise<ReferenceModel> {
  const open = (name: GraphName) =>
    ort.InferenceSession.create(join(dir, "onnx", `${name}.onnx`), { intraOpNumThreads: 1 });
  const [vis, emb, enc, dec] = await Promise.all([
    open("vision_encoder"),
    open("embed_tokens"),
    open("encoder_model"),
    open("decoder_model_merged"),
  ]);
  const data = (t: ort.Tensor | undefined) => t!.data as Float32Array;
  const dModel = Number(decShape(dec, "inputs_embeds")[2]);
  const embed = async (ids: readonly number[]) =>
    data(
      (
        await emb.run({
          input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
        })
      ).inputs_embeds,
    );
  return {
    vision: async (pixels, dims) =>
      data((await vis.run({ pixel_values: new ort.Tensor("float32", pixels, dims) })).image_features),
    embed,
    encode: async (embeds, mask) =>
      data(
        (
          await enc.run({
            inputs_embeds: new ort.Tensor("float32", embeds, [1, mask.length, embeds.length / mask.length]),
            attention_mask: new ort.Tensor("int64", mask, [1, mask.length]),
          })
        ).last_hidden_state,
      ),
    decodeFull: async (tokens, hidden, mask) => {
      const S = mask.length;
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: new ort.Tensor("float32", await embed(tokens), [1, tokens.length, dModel]),
        encoder_hidden_states: new ort.Tensor("float32", hidden, [1, S, dModel]),
        encoder_attention_mask: new ort.Tensor("int64", mask, [1, S]),
        use_cache_branch: new ort.Tensor("bool", Uint8Array.of(0), [1]),
      };
      for (const name of dec.inputNames.filter((n) => n.startsWith("past_key_values."))) {
        const [, heads, , headDim] = decShape(dec, name);
        feeds[name] = new ort.Tensor("float32", new Float32Array(0), [1, Number(heads), 0, Number(headDim)]);
      }
      return data((await dec.run(feeds, ["logits"])).logits);
    },
    release: async () => {
      await Promise.all([vis, emb, enc, dec].map((s) => s.release()));
    },
  };
}

function decShape(s: ort.InferenceSession, name: string): readonly (number | string)[] {
  const m = s.inputMetadata[s.inputNames.indexOf(name)];
  if (!m?.isTensor) throw new Error(`no tensor input ${name}`);
  return m.shape;
}

/** Largest |a − b|, scaled down by the reference's magnitude when that exceeds 1 (a relative bound for big values). */
export function maxScaledDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
