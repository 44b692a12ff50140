// Where `npm start` keeps what it prepared (models/prepared/, git-ignored) and the record of the last run:
// which model it started from and which split it served. `npm run deploy` deploys that split by default, and
// the next `npm start` reuses the source without asking the Hub again.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../synthetic-model/generate";

export const PREPARED_ROOT = join(REPO_ROOT, "models", "prepared");
/** Generated configs, ledgers and timings (git-ignored with the rest of .wrangler/). */
export const DEPLOY_STATE_ROOT = join(REPO_ROOT, ".wrangler", "deploy");
/** wrangler dev's local state for every Worker of `npm start` (the same folder plain `wrangler dev` uses). */
export const LOCAL_PERSIST_DIR = join(REPO_ROOT, ".wrangler", "state");

export type SourceKind = "hub" | "synthetic" | "local";

export interface PreparedRecord {
  source: { kind: SourceKind; dir: string; synthetic: boolean };
  /** Set once the split exists. */
  splitDir?: string;
  at: string;
}

const recordPath = (root: string) => join(root, "last.json");

export function readLastPrepared(root: string = PREPARED_ROOT): PreparedRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(root), "utf8")) as PreparedRecord;
  } catch {
    return undefined;
  }
}

export function writeLastPrepared(record: PreparedRecord, root: string = PREPARED_ROOT): void {
  mkdirSync(root, { recursive: true });
  const tmp = `${recordPath(root)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, recordPath(root));
}

/** florence_edge.json says synthetic: true (random weights; answers are noise). */
export function isSyntheticModel(dir: string): boolean {
  const path = join(dir, "florence_edge.json");
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { synthetic?: unknown }).synthetic === true;
  } catch {
    return false;
  }
}

/** A random-weight model never emits its end token: without a cap every answer runs to MAX_NEW_TOKENS_CAP. */
export const SYNTHETIC_MAX_NEW_TOKENS = "64";

/** API vars that depend on the model (as server-node/main.ts does for the Node server). */
export function apiVarsFor(modelDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (isSyntheticModel(modelDir) && env.DEFAULT_MAX_NEW_TOKENS === undefined) {
    return { DEFAULT_MAX_NEW_TOKENS: SYNTHETIC_MAX_NEW_TOKENS };
  }
  return env.DEFAULT_MAX_NEW_TOKENS ? { DEFAULT_MAX_NEW_TOKENS: env.DEFAULT_MAX_NEW_TOKENS } : {};
}
