// The Florence-2 data path in one place, step by step:
//   image bytes → pixels (runtime/pixels) → image features (vision_encoder)
//   task + text input → prompt (runtime/prompt) → prompt tokens (runtime/tokens) → prompt embeddings
//   [image features ‖ prompt embeddings] → encoder states (encoder_model)
//   encoder states → generated tokens (runtime/generate over the engine's decoder) → text → task JSON
// Image features are their own step so callers (the Worker's KV cache) can skip the vision encoder for an
// image they have seen.
import type { Florence2Engine } from "./engine/types";
import type { GenerationConfig } from "./generate/config";
import { generate } from "./generate/generate";
import type { StepEvent } from "./generate/result";
import type { ModelFolder } from "./model-folder";
import { imageToPixelValues, type PixelValuesOptions } from "./pixels";
import { buildPrompt, PromptError, resolveTask, type PixelBox, type TaskToken } from "./prompt";
import { postProcessGeneration, type TaskAnswer } from "./task-json";

/** Output of the vision step: what the feature cache stores. */
export interface ImageFeatures {
  /** image_features, [1, tokens, dModel] row-major. */
  features: Float32Array;
  tokens: number;
  /** Original image size after EXIF orientation (coordinates in answers refer to it). */
  width: number;
  height: number;
}

export interface TaskRequest {
  /** A task token (`<OD>`) or slug (`od`). */
  task: string;
  /** Free text, a `<loc_..>` quadruple string, or a pixel box, for the tasks that take one. */
  textInput?: string | PixelBox;
  numBeams?: number;
  maxNewTokens?: number;
  /** Other generation overrides (length penalty, early stopping...). */
  generation?: Partial<GenerationConfig>;
  onStep?: (event: StepEvent) => void;
  signal?: AbortSignal;
}

export interface Timings {
  /** Milliseconds per step; absent steps did not run (e.g. vision on a feature-cache hit). */
  pixels?: number;
  vision?: number;
  encoder?: number;
  decoder?: number;
  parse?: number;
}

export interface TaskResponse {
  task: TaskToken;
  /** The reference processor's answer, keyed by the task token. */
  result: TaskAnswer<TaskToken>;
  /** Decoded text with special tokens, as the parser saw it. */
  text: string;
  tokens: number[];
  /** Decoder steps run. */
  steps: number;
  timings: Timings;
}

const now = () => performance.now();

export class Florence2 {
  constructor(
    readonly engine: Florence2Engine,
    readonly folder: ModelFolder,
  ) {}

  /** bytes → pixels → image features. Throws ImageDecodeError for bad images. */
  async imageFeatures(
    bytes: Uint8Array,
    opts: PixelValuesOptions = {},
    timings: Timings = {},
  ): Promise<ImageFeatures> {
    let t = now();
    const px = await imageToPixelValues(bytes, { size: this.folder.imageSize, ...opts });
    timings.pixels = now() - t;
    t = now();
    const features = await this.engine.encodeImage(px.pixelValues, px.dims);
    timings.vision = now() - t;
    return {
      features,
      tokens: features.length / this.engine.info.dModel,
      width: px.width,
      height: px.height,
    };
  }

  /** Runs a task on an image. */
  async run(bytes: Uint8Array, req: TaskRequest, opts: PixelValuesOptions = {}): Promise<TaskResponse> {
    // Validate the task and its input before spending time on the image.
    const task = resolveTask(req.task);
    const timings: Timings = {};
    const image = await this.imageFeatures(bytes, opts, timings);
    return this.runOnFeatures(image, { ...req, task }, timings);
  }

  /** Runs a task on image features computed earlier (e.g. from the feature cache). */
  async runOnFeatures(image: ImageFeatures, req: TaskRequest, timings: Timings = {}): Promise<TaskResponse> {
    const { engine, folder } = this;
    const d = engine.info.dModel;
    const task = resolveTask(req.task);
    const prompt = buildPrompt(task, req.textInput, { width: image.width, height: image.height });

    // prompt → tokens → embeddings; encoder input = [image features ‖ prompt embeddings], mask all ones.
    let t = now();
    const ids = folder.tokenizer.encodePrompt(prompt);
    const seqLen = image.tokens + ids.length;
    if (seqLen > folder.maxEncoderLength) {
      throw new PromptError(
        "text_input_too_long",
        `the prompt is ${ids.length} tokens; with ${image.tokens} image tokens it exceeds the model's ${folder.maxEncoderLength} positions`,
      );
    }
    const promptEmbeds = await engine.embedTokens(ids);
    const inputsEmbeds = new Float32Array(seqLen * d);
    inputsEmbeds.set(image.features);
    inputsEmbeds.set(promptEmbeds, image.tokens * d);
    const mask = new BigInt64Array(seqLen).fill(1n);
    const encoderStates = await engine.encode(inputsEmbeds, mask, seqLen);
    timings.encoder = now() - t;

    // encoder states → tokens, with HF generate() semantics.
    t = now();
    const session = await engine.startDecoder(encoderStates, mask, seqLen);
    let out;
    try {
      out = await generate(session, {
        ...folder.generation,
        ...req.generation,
        ...(req.numBeams !== undefined ? { numBeams: req.numBeams } : {}),
        ...(req.maxNewTokens !== undefined ? { maxNewTokens: req.maxNewTokens } : {}),
        onStep: req.onStep,
        signal: req.signal,
      });
    } finally {
      session.dispose();
    }
    timings.decoder = now() - t;

    // tokens → text (special tokens kept) → task JSON.
    t = now();
    const text = folder.tokenizer.decodeKeepSpecial(out.tokens);
    const result = postProcessGeneration(text, task, { width: image.width, height: image.height });
    timings.parse = now() - t;
    return { task, result, text, tokens: out.tokens, steps: out.steps, timings };
  }
}
