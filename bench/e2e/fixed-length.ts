// Fixed-length generation for timing. Random weights decide arbitrarily when EOS comes, so every system must
// generate the same number of tokens: transformers.js gets `min_new_tokens = max_new_tokens = N` (HF's
// MinNewTokensLengthLogitsProcessor: EOS logit −∞ until N new tokens exist). Our runtime/generate has no
// min_new_tokens, so the benchmark wraps the engine's decoder session and does the same to the logits it
// returns: EOS is −∞ at every step. The generation loop then applies its own processors (n-gram ban, forced
// BOS, and forced EOS at max_length, which overrides the ban exactly as HF's processor order does), so the
// N-th token is still the forced EOS and every request runs exactly N decoder steps. Cost of the wrapper: one
// store per row per step.
import type { DecoderSession, Florence2Engine } from "../../runtime/engine/types";

class NoEarlyEosSession implements DecoderSession {
  constructor(
    private readonly inner: DecoderSession,
    private readonly eos: number,
  ) {}

  get rows() {
    return this.inner.rows;
  }
  get length() {
    return this.inner.length;
  }
  get vocabSize() {
    return this.inner.vocabSize;
  }

  async step(tokens: ArrayLike<number>): Promise<Float32Array> {
    const logits = await this.inner.step(tokens);
    const v = this.inner.vocabSize;
    for (let r = 0; r < tokens.length; r++) logits[r * v + this.eos] = -Infinity;
    return logits;
  }

  reorder(sourceRows: readonly number[]): void {
    return this.inner.reorder(sourceRows);
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** The same engine, except that its decoder sessions never let `eosTokenId` win before the length limit. */
export function withoutEarlyEos(engine: Florence2Engine, eosTokenId: number): Florence2Engine {
  return {
    info: engine.info,
    encodeImage: (px, dims) => engine.encodeImage(px, dims),
    embedTokens: (ids) => engine.embedTokens(ids),
    encode: (e, m, n) => engine.encode(e, m, n),
    startDecoder: async (h, m, n) => new NoEarlyEosSession(await engine.startDecoder(h, m, n), eosTokenId),
    release: () => engine.release(),
  };
}
