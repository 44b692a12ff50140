// The non-graph files of a Florence-2 model folder (onnx-community layout): tokenizer, generation and
// preprocessor configs, and our own florence_edge.json (synthetic flag, quantization). Read through the
// injected loader, like the graphs.
import { readJson, readOptionalJson, type LoadFile } from "./engine/model-files";
import type { GenerationConfig } from "./generate/config";
import { FLORENCE2_GENERATION_CONFIG } from "./generate/config";
import { Florence2Tokenizer } from "./tokens/tokenizer";

export interface ModelMetadata {
  /** Hub id or a local name. */
  id: string;
  /** A version string that changes whenever the weights change (cache keys include it). */
  version: string;
  quantization: string;
  synthetic: boolean;
}

export interface ModelFolder {
  tokenizer: Florence2Tokenizer;
  generation: GenerationConfig;
  /** Side of the square input image (preprocessor_config size). */
  imageSize: number;
  /** Maximum encoder length (text_config.max_position_embeddings). */
  maxEncoderLength: number;
  metadata: ModelMetadata;
}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** generation_config.json (snake_case, HF) → our GenerationConfig; unspecified fields keep Florence-2's. */
export function generationConfigFrom(json: Record<string, unknown>): GenerationConfig {
  const d = FLORENCE2_GENERATION_CONFIG;
  const nullable = (v: unknown, fallback: number | null) =>
    v === null ? null : typeof v === "number" ? v : fallback;
  const early = json.early_stopping;
  return {
    decoderStartTokenId: num(json.decoder_start_token_id, d.decoderStartTokenId),
    eosTokenId: num(json.eos_token_id, d.eosTokenId),
    padTokenId: num(json.pad_token_id, d.padTokenId),
    forcedBosTokenId: nullable(json.forced_bos_token_id, d.forcedBosTokenId),
    forcedEosTokenId: nullable(json.forced_eos_token_id, d.forcedEosTokenId),
    noRepeatNgramSize: num(json.no_repeat_ngram_size, d.noRepeatNgramSize),
    maxNewTokens: num(json.max_new_tokens, d.maxNewTokens),
    numBeams: num(json.num_beams, d.numBeams),
    lengthPenalty: num(json.length_penalty, d.lengthPenalty),
    earlyStopping: early === true || early === false || early === "never" ? early : d.earlyStopping,
  };
}

export async function readModelFolder(load: LoadFile, fallbackId = "florence-2"): Promise<ModelFolder> {
  const [tokenizerJson, tokenizerConfig, generation, preprocessor, config, edge] = await Promise.all([
    readJson(load, "tokenizer.json"),
    readOptionalJson(load, "tokenizer_config.json"),
    readOptionalJson(load, "generation_config.json"),
    readOptionalJson(load, "preprocessor_config.json"),
    readOptionalJson(load, "config.json"),
    readOptionalJson(load, "florence_edge.json"),
  ]);
  const size = preprocessor?.size as { height?: number } | number | undefined;
  const textConfig = (config?.text_config ?? {}) as Record<string, unknown>;
  return {
    tokenizer: new Florence2Tokenizer({ tokenizer: tokenizerJson, config: tokenizerConfig ?? {} }),
    generation: generationConfigFrom(generation ?? {}),
    imageSize: typeof size === "number" ? size : num(size?.height, 768),
    maxEncoderLength: num(textConfig.max_position_embeddings, 1024),
    metadata: metadataFrom(edge ?? {}, config ?? {}, fallbackId),
  };
}

/** Model identity from florence_edge.json (ours) and config.json; the version changes with the weights. */
export function metadataFrom(
  edge: Record<string, unknown>,
  config: Record<string, unknown>,
  fallbackId: string,
): ModelMetadata {
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const q = edge.quantization;
  const quantization = str(q) ?? str((q as { mode?: unknown } | undefined)?.mode) ?? "fp32";
  const synthetic = edge.synthetic === true;
  // Written by quant/: changes with the quantized weights, so caches never mix two quantizations' answers.
  const digest = str((q as { weights_digest?: unknown } | undefined)?.weights_digest);
  const generated = synthetic
    ? `synthetic-${String(edge.preset)}-seed${String(edge.seed)}-${String(edge.generator_version)}`
    : undefined;
  return {
    id: str(edge.id) ?? str(config._name_or_path) ?? fallbackId,
    version: `${str(edge.version) ?? generated ?? "unversioned"}${quantization === "fp32" ? "" : `+${quantization}`}${digest ? `-${digest.slice(0, 12)}` : ""}`,
    quantization,
    synthetic,
  };
}
