// `<dest>/.fetch-state.json`: what was verified, so a restart does not re-hash ~1 GB of graphs. A file counts
// as verified while its size and mtime are what they were right after it was hashed; any change (an editor,
// a partial copy) sends it back through the hash. It also ties each `.incomplete` file to the content it is
// a prefix of, so a partial file left by another revision is not resumed into a mismatch.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const STATE_FILE = ".fetch-state.json";

export interface VerifiedFile {
  /** identityOf(file): "sha256:<hex>", "git:<hex>" or "size:<n>". */
  identity: string;
  size: number;
  mtimeMs: number;
}

export interface FetchState {
  version: 1;
  repo: string;
  revision: string;
  /** All planned files were verified in place by the last run that wrote this. */
  complete: boolean;
  files: Record<string, VerifiedFile>;
  /** `.incomplete` path (without the suffix) → identity of the file it is a prefix of. */
  partial: Record<string, string>;
}

export function emptyState(repo: string, revision: string): FetchState {
  return { version: 1, repo, revision, complete: false, files: {}, partial: {} };
}

/** The state in `dir`, or undefined when absent or unreadable (then everything is checked from scratch). */
export function readState(dir: string): FetchState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, STATE_FILE), "utf8")) as Partial<FetchState>;
    if (s.version !== 1 || typeof s.files !== "object" || s.files === null) return undefined;
    return { ...emptyState(s.repo ?? "", s.revision ?? ""), ...s } as FetchState;
  } catch {
    return undefined;
  }
}

/** Written via a temp file and rename, so a crash never leaves half a JSON. */
export function writeState(dir: string, state: FetchState): void {
  const tmp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  renameSync(tmp, join(dir, STATE_FILE));
}
