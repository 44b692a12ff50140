// The four Florence-2 graphs of a model folder on a benchmark backend, with the glue of REFERENCE.md §2:
// image_features ++ embedded prompt → encoder; the merged decoder step by step with the cache carried over
// (encoder K/V kept from the first step). Independent of runtime/ so that the benchmark measures the graphs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openSession, type Backend, type BenchSession, type Feed } from "./ort-backends";

export const GRAPHS = ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"] as const;
export type GraphName = (typeof GRAPHS)[number];

export interface TextDims {
  layers: number;
  heads: number;
  headDim: number;
  dModel: number;
  vocab: number;
}

export function textDims(dir: string): TextDims {
  const tc = (
    JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { text_config: Record<string, number> }
  ).text_config;
  const heads = tc.decoder_attention_heads!;
  return {
    layers: tc.decoder_layers!,
    heads,
    headDim: tc.d_model! / heads,
    dModel: tc.d_model!,
    vocab: tc.vocab_size!,
  };
}

/** The .onnx file of a graph and its external data file (`<file>_data`, as quant/ writes it), if any. */
export function graphFiles(dir: string, graph: GraphName): { model: string; data: string[] } {
  const model = join(dir, "onnx", `${graph}.onnx`);
  const data = `${model}_data`;
  return { model, data: existsSync(data) ? [data] : [] };
}

export async function openGraph(
  backend: Backend,
  threads: number,
  dir: string,
  graph: GraphName,
): Promise<BenchSession> {
  const f = graphFiles(dir, graph);
  return openSession(backend, threads, f.model, f.data);
}

export interface Tensor32 {
  data: Float32Array;
  dims: number[];
}

const f32 = (t: Tensor32): Feed => ({ type: "float32", data: t.data, dims: t.dims });
const i64 = (values: readonly number[]): Feed => ({
  type: "int64",
  data: BigInt64Array.from(values.map(BigInt)),
  dims: [1, values.length],
});
const asT = (o: { data: ArrayLike<number | bigint>; dims: readonly number[] }): Tensor32 => ({
  data: o.data as Float32Array,
  dims: [...o.dims],
});

export async function imageFeatures(
  vision: BenchSession,
  pixels: Float32Array,
  size: number,
): Promise<Tensor32> {
  return asT(
    (await vision.run({ pixel_values: { type: "float32", data: pixels, dims: [1, 3, size, size] } }))
      .image_features!,
  );
}

export async function embedIds(embed: BenchSession, ids: readonly number[]): Promise<Tensor32> {
  return asT((await embed.run({ input_ids: i64(ids) })).inputs_embeds!);
}

export interface Encoded {
  hidden: Tensor32;
  length: number;
}

export async function encode(encoder: BenchSession, features: Tensor32, prompt: Tensor32): Promise<Encoded> {
  const d = features.dims[2]!;
  const n = features.dims[1]! + prompt.dims[1]!;
  const embeds = new Float32Array(n * d);
  embeds.set(features.data);
  embeds.set(prompt.data, features.data.length);
  const r = await encoder.run({
    inputs_embeds: { type: "float32", data: embeds, dims: [1, n, d] },
    attention_mask: i64(new Array<number>(n).fill(1)),
  });
  return { hidden: asT(r.last_hidden_state!), length: n };
}

/** A merged-decoder generation in progress: feed one embedded token per call after the first. */
export class DecoderRun {
  private cache: Record<string, Feed> | undefined;

  constructor(
    private readonly decoder: BenchSession,
    private readonly text: TextDims,
    private readonly enc: Encoded,
  ) {}

  /** A copy at the current position (the cache tensors are never mutated, so sharing them is safe). */
  clone(): DecoderRun {
    const c = new DecoderRun(this.decoder, this.text, this.enc);
    c.cache = this.cache;
    return c;
  }

  private emptyCache(): Record<string, Feed> {
    const c: Record<string, Feed> = {};
    for (const name of this.cacheNames())
      c[name] = {
        type: "float32",
        data: new Float32Array(0),
        dims: [1, this.text.heads, 0, this.text.headDim],
      };
    return c;
  }

  private cacheNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.text.layers; i++)
      for (const side of ["decoder", "encoder"])
        for (const part of ["key", "value"]) names.push(`past_key_values.${i}.${side}.${part}`);
    return names;
  }

  /** Runs one step on `embeds` ([1, n, d]; n = 1 once a cache exists) and returns the last position's logits. */
  async step(embeds: Tensor32): Promise<Float32Array> {
    const useCache = this.cache !== undefined;
    const out = await this.decoder.run({
      inputs_embeds: f32(embeds),
      encoder_hidden_states: f32(this.enc.hidden),
      encoder_attention_mask: i64(new Array<number>(this.enc.length).fill(1)),
      use_cache_branch: { type: "bool", data: Uint8Array.of(useCache ? 1 : 0), dims: [1] },
      ...(this.cache ?? this.emptyCache()),
    });
    const next: Record<string, Feed> = {};
    for (const name of this.cacheNames()) {
      const keep = useCache && name.includes(".encoder.");
      next[name] = keep ? this.cache![name]! : f32(asT(out[name.replace("past_key_values", "present")]!));
    }
    this.cache = next;
    const logits = out.logits!;
    const v = logits.dims[2]!;
    const all = logits.data as Float32Array;
    return all.slice(all.length - v);
  }
}

export function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
