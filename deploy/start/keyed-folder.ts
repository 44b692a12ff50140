// Output folders named by a key of their inputs, so a step whose inputs did not change finds its output and is
// skipped. Inputs are identified cheaply: a model folder by its file list (path, size, mtime; hashing 1 GB of
// fp32 weights on every start would cost seconds), a tool by a hash of its source files (as the synthetic
// model's generatorVersion does). A folder is built under a temp name and renamed into place with a marker, so
// one that exists is complete; other versions of the same output are then removed.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../synthetic-model/generate";

export const MARKER = ".prepared.json";

/** Files that describe a download or a build in progress, not the model. */
const IGNORED = new Set([MARKER, ".fetch-state.json", ".fetch.lock"]);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listFiles(path);
    return IGNORED.has(e.name) || e.name.endsWith(".incomplete") ? [] : [path];
  });
}

/** Identity of a folder's content as listed: relative path, size and modification time of every file. */
export function folderIdentity(dir: string): string {
  const h = createHash("sha256");
  for (const f of listFiles(dir).sort()) {
    const s = statSync(f);
    h.update(`${relative(dir, f).split("\\").join("/")}\0${s.size}\0${Math.round(s.mtimeMs)}\0`);
  }
  return h.digest("hex");
}

const versions = new Map<string, string>();

/** Hash of the .ts sources under the given repository folders (the tool's version). */
export function sourcesVersion(dirs: string[]): string {
  const id = dirs.join(",");
  const cached = versions.get(id);
  if (cached) return cached;
  const h = createHash("sha256");
  const files = dirs
    .flatMap((d) => listFiles(join(REPO_ROOT, d)))
    .filter((f) => f.endsWith(".ts"))
    .sort();
  for (const f of files)
    h.update(`${relative(REPO_ROOT, f)}\0`)
      .update(readFileSync(f))
      .update("\0");
  const v = h.digest("hex");
  versions.set(id, v);
  return v;
}

export function keyOf(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 12);
}

export interface KeyedFolder {
  dir: string;
  /** It existed: nothing was built. */
  reused: boolean;
}

/**
 * `${root}/${name}-${key}`, built by `build(tmpDir)` unless complete already. Folders `${name}-<other key>` are
 * removed after a build (they are older versions of the same output).
 */
export async function keyedFolder(
  root: string,
  name: string,
  key: string,
  inputs: unknown,
  build: (tmpDir: string) => void | Promise<void>,
): Promise<KeyedFolder> {
  const dir = join(root, `${name}-${key}`);
  if (existsSync(join(dir, MARKER))) return { dir, reused: true };
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.${name}-${key}.tmp-`));
  try {
    await build(tmp);
    writeFileSync(
      join(tmp, MARKER),
      `${JSON.stringify({ key, inputs, at: new Date().toISOString() }, null, 2)}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    const olderVersion =
      entry !== `${name}-${key}` &&
      entry.startsWith(`${name}-`) &&
      /^[0-9a-f]{12}$/.test(entry.slice(name.length + 1));
    // Temp folders of a start that was interrupted (Ctrl-C during a build); an hour old, so not a running one.
    const leftover =
      entry.startsWith(`.${name}-`) &&
      entry.includes(".tmp-") &&
      Date.now() - statSync(path).mtimeMs > 3_600_000;
    if (olderVersion || leftover) rmSync(path, { recursive: true, force: true });
  }
  return { dir, reused: false };
}
