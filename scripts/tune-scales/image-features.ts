// image_features [577, d] of a few fixture images from a vision_encoder.onnx, cached under the tuner's temp
// folder (the base vision encoder takes ≈15 s per image on 2 busy cores). buildVisionFile writes one for
// given scales (the `positions` scale also draws the vision graph's 2D position tables).
import { photonWasmModule } from "@cf-wasm/photon/node";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Random, writeModel } from "../../onnx-graph";
import type { Preset } from "../../synthetic-model/presets";
import { buildVisionEncoder } from "../../synthetic-model/vision-encoder";
import { imageToPixelValues, installPhoton } from "../../runtime/pixels";

installPhoton(photonWasmModule);

export const FIXTURE_IMAGES = "/work/shared/fixtures/images";

export interface ImageFeatures {
  image: string;
  data: Float32Array;
  tokens: number;
  dModel: number;
}

/** `file`: a vision_encoder.onnx. */
export async function imageFeatures(
  file: string,
  images: readonly string[],
  cacheDir: string,
  log: (s: string) => void = () => {},
): Promise<ImageFeatures[]> {
  const stamp = `${statSync(file).size}-${Math.round(statSync(file).mtimeMs)}`;
  mkdirSync(cacheDir, { recursive: true });
  let session: ort.InferenceSession | undefined;
  const out: ImageFeatures[] = [];
  for (const image of images) {
    const cached = join(cacheDir, `${image}-${stamp}.f32`);
    const meta = join(cacheDir, `${image}-${stamp}.json`);
    if (!existsSync(cached)) {
      session ??= await ort.InferenceSession.create(file, { intraOpNumThreads: 2 });
      const px = await imageToPixelValues(new Uint8Array(readFileSync(join(FIXTURE_IMAGES, image))));
      const t0 = performance.now();
      const f = (await session.run({ pixel_values: new ort.Tensor("float32", px.pixelValues, px.dims) }))
        .image_features!;
      log(`vision ${image}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      writeFileSync(cached, f.data as Float32Array);
      writeFileSync(meta, JSON.stringify({ tokens: f.dims[1], dModel: f.dims[2] }));
    }
    const { tokens, dModel } = JSON.parse(readFileSync(meta, "utf8")) as { tokens: number; dModel: number };
    const bytes = readFileSync(cached);
    out.push({
      image,
      tokens,
      dModel,
      data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    });
  }
  await session?.release();
  return out;
}

/** `<workDir>/vision-<scales>/vision_encoder.onnx` for the preset's vision scales, built if missing (≈40 s for base). */
export function buildVisionFile(
  preset: Preset,
  seed: number,
  workDir: string,
  log: (s: string) => void = () => {},
): string {
  const { vision, visionConv, projection, positions } = preset.scales;
  const dir = join(
    workDir,
    `vision-${preset.name}-${seed}-${[vision, visionConv, projection, positions].join("_")}`,
  );
  const file = join(dir, "vision_encoder.onnx");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    writeModel(file, buildVisionEncoder(preset, new Random(seed)).model);
    log(`built ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return file;
}

/** Mean over tokens of the cosine similarity between two images' features (token i with token i). */
export function featureSimilarity(a: ImageFeatures, b: ImageFeatures): number {
  let sum = 0;
  for (let t = 0; t < a.tokens; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let c = 0; c < a.dModel; c++) {
      const x = a.data[t * a.dModel + c]!;
      const y = b.data[t * a.dModel + c]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    sum += ab / Math.sqrt(aa * bb);
  }
  return sum / a.tokens;
}
