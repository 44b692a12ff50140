// The graphs a split starts from, one per role, with the request shapes each must be planned for: the
// vision encoder at the processor's image size; embed_tokens for the longest prompt and for one token per
// beam; the encoder at the longest encoder input; the decoder core (lm_head moved out) for the first step
// and for a step with the full cache; the lm_head for one token per beam.
import { join } from "node:path";
import { DataType, readModel, tensorTypeOf, type ExternalLoader, type ModelProto } from "../../onnx-graph";
import type { StageRole } from "../manifest";
import { extractLmHead, HIDDEN_OUTPUT } from "../rewrite/lm-head";
import { splitLargeTensors, type SplitReport } from "../rewrite/split-tensors";
import { pruneDeadNodes } from "../graph/prune";
import { crossBroadcasts } from "../rewrite/cross-broadcast";
import type { Facts } from "../shapes/facts";
import type { SplitOptions } from "./options";

export interface RoleGraph {
  role: StageRole;
  model: ModelProto;
  load: ExternalLoader;
  /** Input facts per planning scenario (the planner keeps the worst of them). */
  scenarios: { name: string; inputs: Record<string, Facts> }[];
}

export interface ModelDims {
  imageSize: number;
  dModel: number;
  vocabSize: number;
  layers: number;
  heads: number;
  headDim: number;
  imageTokens: number;
  maxEncoderLength: number;
  vision: { windowSize: number; heads: number[] };
}

const f32 = (dims: number[]): Facts => ({ type: DataType.FLOAT, dims });
const i64 = (dims: number[]): Facts => ({ type: DataType.INT64, dims });

function readDims(
  decoder: ModelProto,
  config: Record<string, unknown>,
  preprocessor: Record<string, unknown>,
): ModelDims {
  const g = decoder.graph!;
  const past = g.input.find((i) => i.name === "past_key_values.0.decoder.key");
  const pd = past && tensorTypeOf(past)?.dims;
  const emb = tensorTypeOf(g.input.find((i) => i.name === "inputs_embeds")!)?.dims;
  const logits = tensorTypeOf(g.output.find((o) => o.name === "logits")!)?.dims;
  const text = (config.text_config ?? {}) as Record<string, number>;
  const vision = visionGeometry(config, preprocessor);
  const num = (v: unknown, what: string): number => {
    if (typeof v !== "number") throw new Error(`cannot read ${what} from the decoder's declared shapes`);
    return v;
  };
  return {
    imageSize: vision.imageSize,
    dModel: num(emb?.[2], "the hidden size"),
    vocabSize: num(logits?.[2], "the vocabulary size"),
    layers: g.input.filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name)).length,
    heads: num(pd?.[1], "the decoder heads"),
    headDim: num(pd?.[3], "the head size"),
    imageTokens: 577,
    maxEncoderLength: text.max_position_embeddings ?? 1024,
    vision: { windowSize: vision.windowSize, heads: vision.heads },
  };
}

/**
 * The processor's image size and the DaViT layout from a folder's config.json and preprocessor_config.json
 * (Florence-2's defaults where absent): what the splitter's bands and quant/range-blocks.ts both plan with.
 */
export function visionGeometry(
  config: Record<string, unknown>,
  preprocessor: Record<string, unknown>,
): { imageSize: number; windowSize: number; heads: number[]; groups: number[] } {
  const vision = (config.vision_config ?? {}) as {
    window_size?: number;
    num_heads?: number[];
    num_groups?: number[];
  };
  const size = preprocessor.size as { height?: number } | number | undefined;
  return {
    imageSize: typeof size === "number" ? size : (size?.height ?? 768),
    windowSize: vision.window_size ?? 12,
    heads: vision.num_heads ?? [],
    groups: vision.num_groups ?? vision.num_heads ?? [],
  };
}

export function loadRoles(
  dir: string,
  config: Record<string, unknown>,
  preprocessor: Record<string, unknown>,
  o: SplitOptions,
): { roles: RoleGraph[]; dims: ModelDims; splits: SplitReport[] } {
  const read = (name: string) => readModel(join(dir, "onnx", `${name}.onnx`));
  const vision = read("vision_encoder");
  const embed = read("embed_tokens");
  const encoder = read("encoder_model");
  const decoder = read("decoder_model_merged");
  const dims = readDims(decoder.model, config, preprocessor);
  // The config's 1024 positions would plan the encoder's attention for 1024² scores; real prompts are short.
  dims.maxEncoderLength = Math.min(dims.maxEncoderLength, o.maxEncoderLength ?? dims.imageTokens + 64);
  const { core, head } = extractLmHead(decoder.model);
  const { dModel: d, heads: h, headDim: hd, maxEncoderLength: S } = dims;
  const R = o.maxRows;
  const L = o.maxDecoderLength;
  // Beams share one batch-1 copy of the cross K/V when the graph allows it (rewrite/cross-broadcast.ts).
  const shared = crossBroadcasts(core);
  const pasts = (rows: number, self: number, cross: number, sharedCross = false) =>
    Object.fromEntries(
      Array.from({ length: dims.layers }, (_, l) => [
        [`past_key_values.${l}.decoder.key`, f32([rows, h, self, hd])],
        [`past_key_values.${l}.decoder.value`, f32([rows, h, self, hd])],
        [`past_key_values.${l}.encoder.key`, f32([sharedCross ? 1 : rows, h, cross, hd])],
        [`past_key_values.${l}.encoder.value`, f32([sharedCross ? 1 : rows, h, cross, hd])],
      ]).flat(),
    );
  const roles: RoleGraph[] = [
    {
      role: "vision",
      ...vision,
      scenarios: [
        {
          name: `image ${dims.imageSize}²`,
          inputs: { pixel_values: f32([1, 3, dims.imageSize, dims.imageSize]) },
        },
      ],
    },
    {
      role: "embed",
      ...embed,
      scenarios: [
        { name: `prompt of ${S - dims.imageTokens}`, inputs: { input_ids: i64([1, S - dims.imageTokens]) } },
        { name: `${R} rows × 1 token`, inputs: { input_ids: i64([R, 1]) } },
      ],
    },
    {
      role: "encoder",
      ...encoder,
      scenarios: [
        { name: `S = ${S}`, inputs: { inputs_embeds: f32([1, S, d]), attention_mask: i64([1, S]) } },
      ],
    },
    {
      role: "decoder",
      model: core,
      load: decoder.load,
      scenarios: [
        {
          name: `first step, S = ${S}`,
          inputs: {
            inputs_embeds: f32([1, 1, d]),
            encoder_hidden_states: f32([1, S, d]),
            encoder_attention_mask: i64([1, S]),
            use_cache_branch: { type: DataType.BOOL, dims: [1], value: [0] },
            ...pasts(1, 0, 0),
          },
        },
        {
          name: `${R} rows, cache ${L - 1}, S = ${S}`,
          inputs: {
            inputs_embeds: f32([R, 1, d]),
            encoder_hidden_states: f32([1, S, d]),
            encoder_attention_mask: i64([R, S]),
            use_cache_branch: { type: DataType.BOOL, dims: [1], value: [1] },
            ...pasts(R, L - 1, S, shared),
          },
        },
      ],
    },
    {
      role: "lm_head",
      model: head,
      load: decoder.load,
      scenarios: [{ name: `${R} rows`, inputs: { [HIDDEN_OUTPUT]: f32([R, 1, d]) } }],
    },
  ];
  for (const r of roles) pruneDeadNodes(r.model.graph!);
  // Weights larger than one stored file are split into blocks by rewriting their readers.
  const splits = roles.flatMap((r) => splitLargeTensors(r.model.graph!, o.chunkBytes, r.load));
  return { roles, dims, splits };
}
