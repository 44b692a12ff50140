// tokenizer.json (Hugging Face `tokenizers` format, laid out like BART's: ByteLevel pre-tokenizer and decoder,
// RobertaProcessing adding <s> … </s>, a BPE model), tokenizer_config.json and added_tokens.json, for a base
// vocabulary of a given size followed by Florence-2's 1024 added tokens.
import { BYTE_SYMBOLS } from "./byte-level";
import { trainingCorpus } from "./corpus";
import { florenceAddedTokens, LEADING_SPECIALS, MASK_TOKEN } from "./special-tokens";
import { learnBpe } from "./train-bpe";

export interface TokenizerFiles {
  "tokenizer.json": Record<string, unknown>;
  "tokenizer_config.json": Record<string, unknown>;
  "added_tokens.json": Record<string, number>;
}

interface AddedTokenSpec {
  id: number;
  content: string;
  /** BART's own specials are "normalized"; <mask> also swallows the space before it. */
  normalized: boolean;
  lstrip: boolean;
}

function addedTokenSpecs(baseVocabSize: number): AddedTokenSpec[] {
  return [
    ...LEADING_SPECIALS.map((content, id) => ({ id, content, normalized: true, lstrip: false })),
    { id: baseVocabSize - 1, content: MASK_TOKEN, normalized: true, lstrip: true },
    ...florenceAddedTokens().map((content, i) => ({
      id: baseVocabSize + i,
      content,
      normalized: false,
      lstrip: false,
    })),
  ];
}

/** The BPE vocabulary: specials, the 256 byte symbols (by byte value), learned tokens, then <mask>. */
function bpeVocabulary(baseVocabSize: number) {
  const fixed = LEADING_SPECIALS.length + BYTE_SYMBOLS.length + 1;
  if (baseVocabSize < fixed)
    throw new Error(`a base vocabulary needs at least ${fixed} entries, got ${baseVocabSize}`);
  const learned = learnBpe(trainingCorpus(), baseVocabSize - fixed);
  const tokens = [...LEADING_SPECIALS, ...BYTE_SYMBOLS, ...learned.tokens, MASK_TOKEN];
  // Object.fromEntries defines own properties, so even a token spelled "__proto__" would be kept.
  const vocab = Object.fromEntries(tokens.map((t, id) => [t, id])) as Record<string, number>;
  return { vocab, merges: learned.merges.map(([a, b]) => `${a} ${b}`) };
}

export function buildTokenizerFiles(baseVocabSize: number, modelMaxLength: number): TokenizerFiles {
  const { vocab, merges } = bpeVocabulary(baseVocabSize);
  const specs = addedTokenSpecs(baseVocabSize);
  const florence = florenceAddedTokens();
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };

  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specs.map((s) => ({
      id: s.id,
      content: s.content,
      single_word: false,
      lstrip: s.lstrip,
      rstrip: false,
      normalized: s.normalized,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", ...byteLevel },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["</s>", 2],
      cls: ["<s>", 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", ...byteLevel },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };

  const config = {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      specs.map((s) => [
        String(s.id),
        {
          content: s.content,
          lstrip: s.lstrip,
          normalized: s.normalized,
          rstrip: false,
          single_word: false,
          special: true,
        },
      ]),
    ),
    additional_special_tokens: florence,
    bos_token: "<s>",
    clean_up_tokenization_spaces: false,
    cls_token: "<s>",
    eos_token: "</s>",
    errors: "replace",
    mask_token: MASK_TOKEN,
    model_max_length: modelMaxLength,
    pad_token: "<pad>",
    processor_class: "Florence2Processor",
    sep_token: "</s>",
    tokenizer_class: "BartTokenizer",
    trim_offsets: true,
    unk_token: "<unk>",
  };

  // Written by `save_pretrained` with sorted keys.
  const added = [...florence.entries()]
    .map(([i, t]) => [t, baseVocabSize + i] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    "tokenizer.json": tokenizer,
    "tokenizer_config.json": config,
    "added_tokens.json": Object.fromEntries(added),
  };
}
