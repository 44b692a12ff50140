// The tiny synthetic Florence-2 folder shared by all tests: generated once per generator version into
// models/cache/ (git-ignored) and reused; safe when several vitest workers ask at the same time
// (synthetic-model/cache.ts generates into a temp folder and renames it into place).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cachedModelDir } from "../../synthetic-model/cache";

export const TINY_SEED = 0;

/** Path of the tiny model folder (seed TINY_SEED), generating it if needed (a few seconds). */
export function tinyModelDir(): string {
  return cachedModelDir({ preset: "tiny", seed: TINY_SEED });
}

export function readJson<T = Record<string, unknown>>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), "utf8")) as T;
}
