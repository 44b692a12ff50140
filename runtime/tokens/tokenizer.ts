// Text ↔ token ids with the model folder's own tokenizer.json (BART byte-level BPE + Florence-2's 1024
// added tokens), through @huggingface/tokenizers, the same implementation transformers.js uses.
import { Tokenizer } from "@huggingface/tokenizers";

export interface TokenizerFiles {
  /** Parsed tokenizer.json. */
  tokenizer: object;
  /** Parsed tokenizer_config.json (clean_up_tokenization_spaces, special tokens, ...). */
  config: object;
}

export interface PromptTokens {
  ids: number[];
}

export class Florence2Tokenizer {
  private readonly tok: Tokenizer;
  readonly vocabSize: number;

  constructor(files: TokenizerFiles) {
    this.tok = new Tokenizer(files.tokenizer, files.config);
    this.vocabSize = this.tok.get_vocab(true).size;
  }

  /** `<s>` + prompt + `</s>`, as the processor tokenizes the task prompt. */
  encodePrompt(prompt: string): number[] {
    return this.tok.encode(prompt, { add_special_tokens: true }).ids;
  }

  /**
   * Generated ids → text with special tokens kept (`<s>`, `</s>`, `<loc_N>`, `<sep>`...): the reference decodes
   * with skip_special_tokens=False and lets the task parser strip what it must.
   */
  decodeKeepSpecial(ids: readonly number[]): string {
    return this.tok.decode([...ids], { skip_special_tokens: false });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}
