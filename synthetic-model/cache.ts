// A per-version cache of generated model folders (under models/, git-ignored) for tests and dev tools.
// Several processes (vitest workers) may ask for the same folder at once: each generates into its own temp
// folder and renames it into place; rename is atomic, so a folder that exists is complete, and a process that
// loses the race discards its copy and uses the winner's. The folder name carries the generator's source
// hash, so folders made by older code are never reused (and are pruned).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { generatorVersion, REPO_ROOT, writeModelFolder } from "./generate";
import { PRESETS, type Preset } from "./presets";

export interface CacheOptions {
  preset: Preset["name"];
  seed: number;
  /** Cache folder (default `models/cache` in the repository). */
  root?: string;
  log?: (line: string) => void;
}

export const DEFAULT_CACHE_ROOT = join(REPO_ROOT, "models", "cache");

/** Temp folders older than this are leftovers of killed processes. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** Path of a complete model folder for (preset, seed), generating it if this version has none yet. */
export function cachedModelDir(opts: CacheOptions): string {
  const root = opts.root ?? DEFAULT_CACHE_ROOT;
  const prefix = `synthetic-${opts.preset}-seed${opts.seed}-`;
  const name = `${prefix}${generatorVersion()}`;
  const final = join(root, name);
  if (existsSync(join(final, "florence_edge.json"))) return final;

  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.${name}.tmp-`));
  try {
    writeModelFolder(tmp, PRESETS[opts.preset], opts.seed, opts.log ?? (() => {}));
    renameSync(tmp, final);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process renamed its copy into place first: use that one.
    const lostRace =
      (e as NodeJS.ErrnoException).code === "ENOTEMPTY" || (e as NodeJS.ErrnoException).code === "EEXIST";
    if (!(lostRace && existsSync(join(final, "florence_edge.json")))) throw e;
  }
  prune(root, prefix, name);
  return final;
}

/** Removes folders of other generator versions and old temp folders (best effort: another process may race). */
function prune(root: string, prefix: string, keep: string): void {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    try {
      const staleVersion = entry.startsWith(prefix) && entry !== keep;
      const oldTemp =
        entry.startsWith(".") &&
        entry.includes(".tmp-") &&
        Date.now() - statSync(path).mtimeMs > STALE_TEMP_MS;
      if (staleVersion || oldTemp) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or in use by a process that will clean up after itself.
    }
  }
}
