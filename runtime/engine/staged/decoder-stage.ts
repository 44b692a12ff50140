// A decoder stage's per-request session: the stage's pieces of the merged decoder, run in order each step,
// with the caches of the layers they hold kept here from the first step to the last (REFERENCE.md §2):
//   first step: use_cache_branch = false, empty past tensors; present.*.encoder.* are the cross-attention K/V;
//   later steps: use_cache_branch = true, past.*.decoder.* = previous present.*.decoder.*, past.*.encoder.* =
//   the first step's cross K/V (the with-past branch returns empty placeholders there, which are ignored).
// Cross K/V and the encoder mask are kept once (batch 1); the mask (and the cross K/V, unless the graph lets
// every row share them) are tiled for the rows when the row count changes.
import type { DecoderProgram } from "../../../model-splitter/manifest";
import type { InferenceSession, TensorConstructor, Tensor } from "../ort-types";
import { gatherRows, isIdentity, tileRow } from "../rows";
import type { DecoderStageSession } from "./runner";
import { fromOrt, toOrt, type NamedTensors, type StageTensor } from "./tensors";

const PAST = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;

export class LocalDecoderStageSession implements DecoderStageSession {
  private pastLength = 0;
  private rowCount = 0;
  private disposed = false;
  /** Self-attention caches by past input name, [rows, heads, length, headDim]. */
  private self = new Map<string, Float32Array>();
  /** Cross-attention K/V of one row by past input name, [1, heads, S, headDim]. */
  private cross = new Map<string, Float32Array>();
  private tiled?: { rows: number; cross: Map<string, Tensor>; mask: Tensor; hidden: Tensor };
  private readonly seqLen: number;

  constructor(
    private readonly program: DecoderProgram,
    private readonly sessions: InferenceSession[],
    private readonly Tensor: TensorConstructor,
    private readonly encoderHidden: StageTensor,
    private readonly encoderMask: StageTensor,
  ) {
    this.seqLen = encoderMask.dims[1]!;
  }

  get length(): number {
    return this.pastLength;
  }

  async step(inputs: NamedTensors, rows: number): Promise<NamedTensors> {
    if (this.disposed) throw new Error("decoder stage session is disposed");
    const first = this.pastLength === 0;
    if (!first && rows !== this.rowCount)
      throw new Error(`step for ${rows} rows, the caches hold ${this.rowCount}`);
    const { heads, headDim } = this.program;
    const T = this.Tensor;
    const env: NamedTensors = new Map(inputs);
    const tiled = this.tiledFor(rows);
    const flag = new T("bool", Uint8Array.of(first ? 0 : 1), [1]);
    const empty = new T("float32", new Float32Array(0), [rows, heads, 0, headDim]);
    const newSelf = new Map<string, Float32Array>();
    for (const s of this.sessions) {
      const feeds: Record<string, Tensor> = {};
      for (const name of s.inputNames) {
        const m = PAST.exec(name);
        if (m) {
          if (first) feeds[name] = empty;
          else if (m[2] === "decoder")
            feeds[name] = new T("float32", this.self.get(name)!, [rows, heads, this.pastLength, headDim]);
          else feeds[name] = tiled.cross.get(name) ?? missing(name);
        } else if (name === "use_cache_branch") feeds[name] = flag;
        else if (name === "encoder_hidden_states") feeds[name] = tiled.hidden;
        else if (name === "encoder_attention_mask") feeds[name] = tiled.mask;
        else {
          const t = env.get(name);
          if (!t) throw new Error(`decoder piece needs ${name}, which is not available`);
          feeds[name] = toOrt(T, t);
        }
      }
      const out = await s.run(feeds);
      for (const [name, t] of Object.entries(out)) {
        if (name.startsWith("present.")) {
          const past = `past_key_values.${name.slice("present.".length)}`;
          if (name.includes(".encoder.")) {
            // Only the first step's cross K/V are real; one row is kept (all rows are identical).
            if (first) this.cross.set(past, (t.data as Float32Array).slice(0, heads * this.seqLen * headDim));
          } else newSelf.set(past, t.data as Float32Array);
        } else env.set(name, fromOrt(t));
      }
    }
    this.self = newSelf;
    if (first) this.tiled = undefined; // cross K/V now exist: rebuild the tiles on the next step
    this.rowCount = rows;
    this.pastLength++;
    return env;
  }

  reorder(sourceRows: readonly number[]): void {
    if (this.disposed) throw new Error("decoder stage session is disposed");
    if (this.pastLength === 0) throw new Error("reorder before the first step");
    if (isIdentity(sourceRows, this.rowCount)) return;
    const rowSize = this.program.heads * this.pastLength * this.program.headDim;
    for (const [k, v] of this.self) this.self.set(k, gatherRows(v, rowSize, sourceRows));
    this.rowCount = sourceRows.length;
  }

  dispose(): void {
    this.disposed = true;
    this.self.clear();
    this.cross.clear();
    this.tiled = undefined;
  }

  private tiledFor(rows: number): { rows: number; cross: Map<string, Tensor>; mask: Tensor; hidden: Tensor } {
    if (this.tiled?.rows === rows) return this.tiled;
    const T = this.Tensor;
    const { heads, headDim, dModel } = this.program;
    this.tiled = undefined;
    const tile = <A extends Float32Array | BigInt64Array>(a: A) => (rows === 1 ? a : tileRow(a, rows));
    const cross = new Map<string, Tensor>();
    // When the graph only multiplies the cross K/V (batch-broadcasting MatMul), every row reads the same batch-1
    // copy: 1/rows of the memory in JS and in WASM. Otherwise they are tiled per row.
    const shared = this.program.sharedCross === true;
    for (const [k, v] of this.cross)
      cross.set(
        k,
        shared
          ? new T("float32", v, [1, heads, this.seqLen, headDim])
          : new T("float32", tile(v), [rows, heads, this.seqLen, headDim]),
      );
    this.tiled = {
      rows,
      cross,
      mask: new T("int64", tile(this.encoderMask.data as BigInt64Array), [rows, this.seqLen]),
      // Only the first step reads the encoder states; later steps get the batch-1 tensor (never read).
      hidden: toOrt(
        T,
        this.pastLength === 0
          ? {
              ...this.encoderHidden,
              dims: [rows, this.seqLen, dModel],
              data: tile(this.encoderHidden.data as Float32Array),
            }
          : this.encoderHidden,
      ),
    };
    return this.tiled;
  }
}

function missing(name: string): never {
  throw new Error(`no cross-attention cache for ${name}`);
}
