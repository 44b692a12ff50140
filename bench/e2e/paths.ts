// Where things are: the repository, the results folder, and this folder (children are spawned from here).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const E2E_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(E2E_DIR, "..", "..");
export const RESULTS_DIR = join(REPO_ROOT, "bench", "results");
/** Prepared model folders of the benchmark (git-ignored like everything under models/). */
export const BENCH_MODELS_DIR = join(REPO_ROOT, "models", "bench");
