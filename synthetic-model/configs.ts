// The JSON configuration files of a synthetic Florence-2 model folder, in the shape of the real ones
// (microsoft/Florence-2-base-ft's config.json and preprocessor_config.json, the onnx-community export's
// generation_config.json, REFERENCE.md §3–4) and with what transformers.js reads from them: `model_type`
// "florence2" + top-level `is_encoder_decoder` (session layout), `text_config.model_type` "florence2_language"
// (cache shapes), the generation settings, and the processor's task tables in preprocessor_config.json
// (Florence2Processor reads them from the image processor's config).
import { baseVocabSize, type Preset } from "./presets";

/** Special token ids of the BART vocabulary (REFERENCE.md §4). */
export const TOKEN_IDS = { bos: 0, pad: 1, eos: 2, unk: 3, decoderStart: 2 } as const;

/** Tokens the vision tower contributes: one pooled token + a 24×24 grid at 768×768. */
export const IMAGE_SEQ_LENGTH = 577;

/** Task token → answer parser, as the reference processor declares it. */
export const TASK_ANSWER_POST_PROCESSING_TYPE: Readonly<Record<string, string>> = {
  "<OCR>": "pure_text",
  "<OCR_WITH_REGION>": "ocr",
  "<CAPTION>": "pure_text",
  "<DETAILED_CAPTION>": "pure_text",
  "<MORE_DETAILED_CAPTION>": "pure_text",
  "<OD>": "description_with_bboxes",
  "<DENSE_REGION_CAPTION>": "description_with_bboxes",
  "<CAPTION_TO_PHRASE_GROUNDING>": "phrase_grounding",
  "<REFERRING_EXPRESSION_SEGMENTATION>": "polygons",
  "<REGION_TO_SEGMENTATION>": "polygons",
  "<OPEN_VOCABULARY_DETECTION>": "description_with_bboxes_or_polygons",
  "<REGION_TO_CATEGORY>": "pure_text",
  "<REGION_TO_DESCRIPTION>": "pure_text",
  "<REGION_TO_OCR>": "pure_text",
  "<REGION_PROPOSAL>": "bboxes",
};

export const TASK_PROMPTS_WITHOUT_INPUTS: Readonly<Record<string, string>> = {
  "<OCR>": "What is the text in the image?",
  "<OCR_WITH_REGION>": "What is the text in the image, with regions?",
  "<CAPTION>": "What does the image describe?",
  "<DETAILED_CAPTION>": "Describe in detail what is shown in the image.",
  "<MORE_DETAILED_CAPTION>": "Describe with a paragraph what is shown in the image.",
  "<OD>": "Locate the objects with category name in the image.",
  "<DENSE_REGION_CAPTION>": "Locate the objects in the image, with their descriptions.",
  "<REGION_PROPOSAL>": "Locate the region proposals in the image.",
};

/** `{input}` is replaced by the text that follows the task token. */
export const TASK_PROMPTS_WITH_INPUT: Readonly<Record<string, string>> = {
  "<CAPTION_TO_PHRASE_GROUNDING>": "Locate the phrases in the caption: {input}",
  "<REFERRING_EXPRESSION_SEGMENTATION>": "Locate {input} in the image with mask",
  "<REGION_TO_SEGMENTATION>": "What is the polygon mask of region {input}",
  "<OPEN_VOCABULARY_DETECTION>": "Locate {input} in the image.",
  "<REGION_TO_CATEGORY>": "What is the region {input}?",
  "<REGION_TO_DESCRIPTION>": "What does the region {input} describe?",
  "<REGION_TO_OCR>": "What text is in the region {input}?",
};

/** Generation settings shared by config.json's text_config and generation_config.json. */
const GENERATION = {
  bos_token_id: TOKEN_IDS.bos,
  eos_token_id: TOKEN_IDS.eos,
  pad_token_id: TOKEN_IDS.pad,
  decoder_start_token_id: TOKEN_IDS.decoderStart,
  forced_bos_token_id: TOKEN_IDS.bos,
  forced_eos_token_id: TOKEN_IDS.eos,
  num_beams: 3,
  no_repeat_ngram_size: 3,
  early_stopping: true,
} as const;

/** config.json: Florence2Config with its DaViT vision_config and BART-style text_config. */
export function modelConfig(p: Preset): Record<string, unknown> {
  const t = p.text;
  const v = p.vision;
  return {
    _name_or_path: `florence-edge/synthetic-florence2-${p.name}`,
    architectures: ["Florence2ForConditionalGeneration"],
    model_type: "florence2",
    bos_token_id: TOKEN_IDS.bos,
    eos_token_id: TOKEN_IDS.eos,
    pad_token_id: TOKEN_IDS.pad,
    ignore_index: -100,
    is_encoder_decoder: true,
    projection_dim: t.dModel,
    vocab_size: t.vocabSize,
    torch_dtype: "float32",
    text_config: {
      model_type: "florence2_language",
      vocab_size: t.vocabSize,
      d_model: t.dModel,
      encoder_layers: t.encoderLayers,
      decoder_layers: t.decoderLayers,
      num_hidden_layers: t.encoderLayers,
      encoder_attention_heads: t.heads,
      decoder_attention_heads: t.heads,
      encoder_ffn_dim: t.ffn,
      decoder_ffn_dim: t.ffn,
      max_position_embeddings: t.maxPositions,
      activation_function: "gelu",
      scale_embedding: false,
      normalize_before: false,
      add_final_layer_norm: false,
      add_bias_logits: false,
      tie_word_embeddings: true,
      is_encoder_decoder: true,
      use_cache: true,
      init_std: 0.02,
      dropout: 0.1,
      attention_dropout: 0.1,
      activation_dropout: 0.1,
      encoder_layerdrop: 0.0,
      decoder_layerdrop: 0.0,
      ...GENERATION,
    },
    vision_config: {
      model_type: "davit",
      depths: [...v.depths],
      dim_embed: [...v.dims],
      num_heads: [...v.heads],
      num_groups: [...v.heads],
      window_size: v.windowSize,
      patch_size: [...v.patchSize],
      patch_stride: [...v.patchStride],
      patch_padding: [...v.patchPadding],
      patch_prenorm: [...v.patchPrenorm],
      projection_dim: t.dModel,
      drop_path_rate: 0.1,
      enable_checkpoint: false,
      image_pos_embed: { type: "learned_abs_2d", max_pos_embeddings: v.maxPosEmbeddings },
      visual_temporal_embedding: { type: "COSINE", max_temporal_embeddings: v.maxTemporalEmbeddings },
      image_feature_source: ["spatial_avg_pool", "temporal_avg_pool"],
    },
  };
}

/** generation_config.json (REFERENCE.md §4). */
export function generationConfig(): Record<string, unknown> {
  return { ...GENERATION };
}

/** preprocessor_config.json: a CLIP image processor (resize to exactly size×size, bicubic) + the task tables. */
export function preprocessorConfig(p: Preset): Record<string, unknown> {
  return {
    processor_class: "Florence2Processor",
    image_processor_type: "CLIPImageProcessor",
    do_convert_rgb: true,
    do_resize: true,
    size: { height: p.imageSize, width: p.imageSize },
    resample: 3,
    do_center_crop: false,
    crop_size: { height: p.imageSize, width: p.imageSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    image_seq_length: IMAGE_SEQ_LENGTH,
    tasks_answer_post_processing_type: { ...TASK_ANSWER_POST_PROCESSING_TYPE },
    task_prompts_without_inputs: { ...TASK_PROMPTS_WITHOUT_INPUTS },
    task_prompts_with_input: { ...TASK_PROMPTS_WITH_INPUT },
  };
}

/** florence_edge.json: our own metadata, so the product can tell a synthetic model from real weights. */
export interface FlorenceEdgeMetadata {
  synthetic: true;
  preset: Preset["name"];
  seed: number;
  generator_version: string;
  vocab_size: number;
  base_vocab_size: number;
}

export function florenceEdgeMetadata(
  p: Preset,
  seed: number,
  generatorVersion: string,
): FlorenceEdgeMetadata {
  return {
    synthetic: true,
    preset: p.name,
    seed,
    generator_version: generatorVersion,
    vocab_size: p.text.vocabSize,
    base_vocab_size: baseVocabSize(p),
  };
}
