// One request's run of decoder_model_merged, step by step (REFERENCE.md §2, FLORENCE2-ARCHITECTURE.md §5.3).
//
// First step: use_cache_branch = false with EMPTY past tensors [rows, heads, 0, headDim]; the no-past branch
// projects the encoder output into the cross-attention K/V and returns them as present.*.encoder.*.
// Later steps: use_cache_branch = true, past.*.decoder.* = the previous step's present.*.decoder.*, and
// past.*.encoder.* = the FIRST step's present.*.encoder.* (the with-past branch returns empty [0, h, 1, hd]
// constants there, which are ignored).
//
// Cross-attention K/V are the same for every beam. They are kept as ONE batch-1 copy per layer (taken from
// row 0 of the first step) and tiled to [rows, h, S, hd] only because the merged graph's inputs carry a batch
// dimension. Cost (REFERENCE.md §1): layers × 2 × h × S × hd × 4 B ≈ 21.8 MB per copy for base at S ≈ 590,
// so 3 beams hold 1 + 3 copies ≈ 87 MB in JS, and onnxruntime-web copies the 3 tiled ones (≈ 65 MB) into the
// WASM heap on every step. Sharing them for real needs a graph change (a decoder whose cross K/V have no
// batch dim); the tiled copies are rebuilt only when the row count changes.
import type { InferenceSession, Tensor, TensorConstructor } from "./ort-types";
import { gatherRows, isIdentity, tileRow } from "./rows";
import type { DecoderSession, EngineInfo } from "./types";

/** What a decoder session needs from its engine. */
export interface DecoderContext {
  readonly info: EngineInfo;
  readonly Tensor: TensorConstructor;
  /** Runs decoder_model_merged (serialised by the engine). */
  runDecoder(feeds: InferenceSession.FeedsType): Promise<InferenceSession.ReturnType>;
  /** Embeds one token per row: ids [rows, 1] → [rows, 1, dModel]. */
  embedRows(ids: BigInt64Array): Promise<Float32Array>;
}

const KINDS = ["key", "value"] as const;

export class OrtDecoderSession implements DecoderSession {
  readonly vocabSize: number;
  private rowCount = 0;
  private pastLength = 0;
  private disposed = false;
  /** Per layer and kind (index 2l + k): self-attention cache [rows, h, length, hd]. */
  private self: Float32Array[] = [];
  /** Per layer and kind: the cross-attention K/V of ONE row, [1, h, S, hd]. */
  private cross: Float32Array[] = [];
  /** Cross K/V and encoder mask tiled for `rows` rows (rebuilt when the row count changes). */
  private tiled?: { rows: number; cross: Tensor[]; mask: Tensor };
  private readonly encoderHidden: Tensor;
  private readonly encoderMask: BigInt64Array;
  private readonly emptyPast: Float32Array = new Float32Array(0);

  constructor(
    private readonly ctx: DecoderContext,
    encoderHidden: Float32Array,
    encoderMask: BigInt64Array,
    private readonly seqLen: number,
  ) {
    const d = ctx.info.dModel;
    if (encoderHidden.length !== seqLen * d)
      throw new Error(`encoder states hold ${encoderHidden.length} values, expected ${seqLen}×${d}`);
    if (encoderMask.length !== seqLen)
      throw new Error(`encoder mask has ${encoderMask.length} entries, expected ${seqLen}`);
    this.vocabSize = ctx.info.vocabSize;
    this.encoderHidden = new ctx.Tensor("float32", encoderHidden, [1, seqLen, d]);
    this.encoderMask = encoderMask;
  }

  get rows(): number {
    return this.rowCount;
  }

  get length(): number {
    return this.pastLength;
  }

  async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    if (this.disposed) throw new Error("decoder session is disposed");
    const n = tokens.length;
    const first = this.pastLength === 0;
    if (n === 0) throw new Error("step needs at least one token");
    if (!first && n !== this.rowCount) throw new Error(`step got ${n} tokens for ${this.rowCount} rows`);
    const { Tensor, info } = this.ctx;
    const ids = new BigInt64Array(n);
    for (let i = 0; i < n; i++) ids[i] = BigInt(tokens[i]!);
    const embeds = await this.ctx.embedRows(ids);

    const feeds: Record<string, Tensor> = {
      inputs_embeds: new Tensor("float32", embeds, [n, 1, info.dModel]),
      use_cache_branch: new Tensor("bool", Uint8Array.of(first ? 0 : 1), [1]),
    };
    if (first) {
      // The no-past branch reads encoder_hidden_states for every row; with one row (what the generation loop
      // sends) it is the batch-1 tensor itself. Several first-step rows get it tiled once.
      feeds.encoder_hidden_states = n === 1 ? this.encoderHidden : this.tiledHidden(n);
      feeds.encoder_attention_mask = new Tensor(
        "int64",
        n === 1 ? this.encoderMask : tileRow(this.encoderMask, n),
        [n, this.seqLen],
      );
      const empty = new Tensor("float32", this.emptyPast, [n, info.heads, 0, info.headDim]);
      for (let l = 0; l < info.decoderLayers; l++) {
        for (const kind of KINDS) {
          feeds[`past_key_values.${l}.decoder.${kind}`] = empty;
          feeds[`past_key_values.${l}.encoder.${kind}`] = empty;
        }
      }
    } else {
      const tiled = this.tiledFor(n);
      // The with-past branch takes cross K/V from the past inputs and does not read the encoder states; they
      // are still a graph input, so the batch-1 tensor is fed rather than a tiled copy.
      feeds.encoder_hidden_states = this.encoderHidden;
      feeds.encoder_attention_mask = tiled.mask;
      const selfDims = [n, info.heads, this.pastLength, info.headDim];
      for (let l = 0; l < info.decoderLayers; l++) {
        KINDS.forEach((kind, k) => {
          feeds[`past_key_values.${l}.decoder.${kind}`] = new Tensor(
            "float32",
            this.self[2 * l + k]!,
            selfDims,
          );
          feeds[`past_key_values.${l}.encoder.${kind}`] = tiled.cross[2 * l + k]!;
        });
      }
    }

    const out = await this.ctx.runDecoder(feeds);
    const crossSize = info.heads * this.seqLen * info.headDim;
    for (let l = 0; l < info.decoderLayers; l++) {
      KINDS.forEach((kind, k) => {
        this.self[2 * l + k] = output(out, `present.${l}.decoder.${kind}`);
        if (first) {
          const enc = output(out, `present.${l}.encoder.${kind}`);
          this.cross[2 * l + k] = n === 1 ? enc : enc.slice(0, crossSize);
        }
      });
    }
    this.rowCount = n;
    this.pastLength++;
    const logits = output(out, "logits");
    if (logits.length !== n * this.vocabSize)
      throw new Error(`decoder returned ${logits.length} logits for ${n} rows of ${this.vocabSize}`);
    return logits;
  }

  reorder(sourceRows: readonly number[]): void {
    if (this.disposed) throw new Error("decoder session is disposed");
    if (this.pastLength === 0) throw new Error("reorder before the first step");
    if (sourceRows.length === 0) throw new Error("reorder to zero rows");
    if (isIdentity(sourceRows, this.rowCount)) return;
    const rowSize = this.ctx.info.heads * this.pastLength * this.ctx.info.headDim;
    this.self = this.self.map((cache) => gatherRows(cache, rowSize, sourceRows));
    this.rowCount = sourceRows.length;
  }

  dispose(): void {
    this.disposed = true;
    this.self = [];
    this.cross = [];
    this.tiled = undefined;
  }

  private tiledFor(rows: number): { rows: number; cross: Tensor[]; mask: Tensor } {
    if (this.tiled?.rows === rows) return this.tiled;
    const { Tensor, info } = this.ctx;
    const dims = [rows, info.heads, this.seqLen, info.headDim];
    this.tiled = undefined; // let the old copies go before allocating new ones
    this.tiled = {
      rows,
      cross: this.cross.map((c) => new Tensor("float32", rows === 1 ? c : tileRow(c, rows), dims)),
      mask: new Tensor("int64", rows === 1 ? this.encoderMask : tileRow(this.encoderMask, rows), [
        rows,
        this.seqLen,
      ]),
    };
    return this.tiled;
  }

  private tiledHidden(rows: number): Tensor {
    return new this.ctx.Tensor("float32", tileRow(this.encoderHidden.data as Float32Array, rows), [
      rows,
      this.seqLen,
      this.ctx.info.dModel,
    ]);
  }
}

function output(out: InferenceSession.ReturnType, name: string): Float32Array {
  const t = out[name];
  if (!t) throw new Error(`decoder_model_merged returned no ${name}`);
  if (!(t.data instanceof Float32Array)) throw new Error(`${name} is ${t.type}, expected float32`);
  return t.data;
}
