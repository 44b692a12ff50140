// How much the encoder output still tells tokens, images and prompts apart: if its tokens are nearly parallel,
// cross-attention reads one vector whatever it attends to, and the decoder cannot depend on the image.
import type { TextDims } from "../../synthetic-model/presets";
import { encode, type TextSessions } from "./greedy";
import type { ImageFeatures } from "./image-features";

export interface EncoderStats {
  /** Mean cosine between different tokens of one encoding. */
  tokenCosine: number;
  /** Mean cosine of token i under two images (same prompt). */
  imageCosine: number;
  /** Mean cosine of token i under two prompts (same image), over the image tokens. */
  promptCosine: number;
}

function rowCosine(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < d; c++) {
    const x = a[i * d + c]!;
    const y = b[j * d + c]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function encoderStats(
  s: TextSessions,
  text: TextDims,
  images: readonly ImageFeatures[],
  prompts: readonly (readonly number[])[],
): Promise<EncoderStats> {
  const d = text.dModel;
  const enc = async (img: ImageFeatures, p: readonly number[]) =>
    (await encode(s, text, img, p)).hidden.data as Float32Array;
  const a = await enc(images[0]!, prompts[0]!);
  const tokens = images[0]!.tokens;
  const sample = Array.from({ length: 40 }, (_, k) => Math.floor((k * tokens) / 40));
  const tokenCos = sample.flatMap((i, k) => sample.slice(k + 1, k + 4).map((j) => rowCosine(a, i, a, j, d)));
  const other = images.length > 1 ? await enc(images[1]!, prompts[0]!) : undefined;
  const prompt2 = prompts.length > 1 ? await enc(images[0]!, prompts[1]!) : undefined;
  return {
    tokenCosine: mean(tokenCos),
    imageCosine: other ? mean(sample.map((i) => rowCosine(a, i, other, i, d))) : Number.NaN,
    promptCosine: prompt2 ? mean(sample.map((i) => rowCosine(a, i, prompt2, i, d))) : Number.NaN,
  };
}
