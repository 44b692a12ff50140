// The two cached value types and their byte encodings: image features in the compact binary format of
// feature-codec.ts, whole answers as JSON that carries its own key (so a misplaced entry is refused too).
import type { ModelMetadata } from "../../runtime/model-folder";
import type { ImageFeatures } from "../../runtime/pipeline";
import type { TaskToken } from "../../runtime/prompt";
import { decodeFeatures, encodeFeatures, type FeatureDtype } from "./feature-codec";
import type { Codec } from "./tiered-cache";

export function featureCodec(dtype: FeatureDtype = "fp16"): Codec<ImageFeatures> {
  return {
    encode: (value, key) => encodeFeatures(value, key, dtype),
    decode: async (bytes, key) => {
      const r = await decodeFeatures(bytes, key);
      return r.ok ? r.features : r.reason;
    },
  };
}

/** A finished analysis as cached: everything of the response that does not describe this one request. */
export interface StoredResult {
  task: TaskToken;
  result: Record<string, unknown>;
  image: { width: number; height: number; sha256: string };
  model: ModelMetadata;
}

const RESULT_FORMAT = 1;

export const resultCodec: Codec<StoredResult> = {
  encode: async (value, key) =>
    new TextEncoder().encode(JSON.stringify({ format: RESULT_FORMAT, key, value })),
  decode: async (bytes, key) => {
    let parsed: { format?: unknown; key?: unknown; value?: Partial<StoredResult> };
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes)) as typeof parsed;
    } catch {
      return "not JSON";
    }
    if (parsed.format !== RESULT_FORMAT) return `format ${String(parsed.format)}`;
    if (parsed.key !== key) return "written under another key";
    const v = parsed.value;
    if (!v || typeof v.task !== "string" || typeof v.result !== "object" || !v.image || !v.model)
      return "incomplete";
    return v as StoredResult;
  },
};
