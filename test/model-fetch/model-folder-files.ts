// What a model folder takes from an onnx-community Florence-2 repo: the configs, the tokenizer and the four
// fp32 graphs. Written out here rather than taken from model-fetch/files.ts, so the tests check that list.
export const MODEL_FOLDER_FILES = [
  "added_tokens.json",
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/vision_encoder.onnx",
  "onnx/embed_tokens.onnx",
  "onnx/encoder_model.onnx",
  "onnx/decoder_model_merged.onnx",
];
