// The request images: a typical upload is a ~1 MP JPEG photo, so the benchmark sends 1024×768 JPEGs (quality
// 85) made from the shared fixtures (grayscale coins, a scanned page, an RGBA logo, an RGB micrograph), each
// also mirrored: 8 distinct images, cycled so that every feature-miss request brings an image the system has
// not seen in that run. All systems get the same bytes. Written once into models/bench/images/.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fliph, PhotonImage, resize, SamplingFilter } from "@cf-wasm/photon/node";
import { BENCH_MODELS_DIR, REPO_ROOT } from "./paths";

const SOURCES = ["coins.png", "page.png", "logo.png", "ihc.png"].map((f) =>
  join(REPO_ROOT, "test/fixtures/images/skimage", f),
);
export const IMAGE_WIDTH = 1024;
export const IMAGE_HEIGHT = 768;
export const IMAGES_DIR = join(BENCH_MODELS_DIR, "images");

export interface BenchImage {
  name: string;
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Writes the images if missing; returns their paths in cycle order. */
export function prepareImages(dir = IMAGES_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const mirrored of [false, true]) {
    for (const src of SOURCES) {
      const name = `${src.split("/").pop()!.replace(".png", "")}${mirrored ? "-mirrored" : ""}-${IMAGE_WIDTH}x${IMAGE_HEIGHT}.jpg`;
      const path = join(dir, name);
      if (!existsSync(path)) {
        const img = PhotonImage.new_from_byteslice(new Uint8Array(readFileSync(src)));
        const big = resize(img, IMAGE_WIDTH, IMAGE_HEIGHT, SamplingFilter.Lanczos3);
        if (mirrored) fliph(big);
        writeFileSync(path, big.get_bytes_jpeg(85));
        img.free();
        big.free();
      }
      paths.push(path);
    }
  }
  return paths;
}

export function loadImages(dir = IMAGES_DIR): BenchImage[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".jpg"))
    .sort();
  if (names.length === 0) throw new Error(`no images in ${dir}: run the parent bench (it prepares them)`);
  return names.map((name) => ({
    name,
    path: join(dir, name),
    bytes: new Uint8Array(readFileSync(join(dir, name))),
  }));
}

/** The i-th image of the cycle. */
export function imageAt<T>(images: readonly T[], i: number): T {
  return images[i % images.length]!;
}
