// Cache keys. A key names everything the cached value depends on, so a changed model or preprocessing can
// never read an old entry: the model version (changes with the weights and quantization), the preprocessing
// version below, and the SHA-256 of the image bytes; result keys add a digest of the task and its options.
import { sha256HexOfText } from "./sha256";

/**
 * Bump when runtime/pixels changes what pixel_values an image gives (decoder, orientation, resampling,
 * normalisation): features cached under the old version then stop matching.
 */
export const PREPROCESSING_VERSION = "px1";

export function featureKey(modelVersion: string, imageSha256: string): string {
  return `features/v1/${modelVersion}/${PREPROCESSING_VERSION}/${imageSha256}`;
}

/** What makes two analyses identical besides the image and the model. */
export interface ResultFingerprint {
  task: string;
  textInput: string | readonly number[] | undefined;
  numBeams: number;
  maxNewTokens: number;
}

export async function resultKey(
  modelVersion: string,
  imageSha256: string,
  f: ResultFingerprint,
): Promise<string> {
  const canonical = JSON.stringify([f.task, f.textInput ?? null, f.numBeams, f.maxNewTokens]);
  const digest = (await sha256HexOfText(canonical)).slice(0, 32);
  return `results/v1/${modelVersion}/${PREPROCESSING_VERSION}/${imageSha256}/${digest}`;
}

/** The Cache API stores Requests by URL: a fixed, never-fetched origin keeps our entries apart. */
export function cacheApiUrl(key: string): string {
  return `https://florence-edge.cache/${key.split("/").map(encodeURIComponent).join("/")}`;
}
