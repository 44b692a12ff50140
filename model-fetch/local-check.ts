// What is already on disk for each planned file: a verified copy (skip), a partial download of the same
// content (resume), or nothing usable (download from zero). A final file whose size or hash is wrong is
// deleted here and reported.
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { IntegrityError } from "./errors";
import type { FetchEventHandler } from "./events";
import type { FetchState } from "./fetch-state";
import type { RemoteFile } from "./files";
import { partialPath } from "./download-file";
import { createVerifier, feedFile, identityOf } from "./verify";

export type LocalStatus =
  | { kind: "verified"; mtimeMs: number; size: number; why: "verified earlier" | "hash matches" }
  | { kind: "download"; resumeFrom: number };

export async function checkLocal(
  file: RemoteFile,
  dest: string,
  state: FetchState,
  rehash: boolean,
  onEvent: FetchEventHandler,
): Promise<LocalStatus> {
  const final = join(dest, file.path);
  const identity = identityOf(file);
  const st = await stat(final).catch(() => undefined);
  if (st?.isFile()) {
    const rec = state.files[file.path];
    if (!rehash && rec && rec.identity === identity && rec.size === st.size && rec.mtimeMs === st.mtimeMs) {
      return { kind: "verified", mtimeMs: st.mtimeMs, size: st.size, why: "verified earlier" };
    }
    let bad: IntegrityError | undefined;
    if (st.size !== file.size) bad = new IntegrityError(file.path, `${file.size} bytes`, `${st.size} bytes`);
    else {
      const verifier = createVerifier(file);
      await feedFile(final, verifier);
      const actual = verifier.digest();
      if (verifier.expected !== undefined && actual !== verifier.expected) {
        bad = new IntegrityError(file.path, `${verifier.check} ${verifier.expected}`, `${actual}`);
      }
    }
    if (!bad) return { kind: "verified", mtimeMs: st.mtimeMs, size: st.size, why: "hash matches" };
    await rm(final, { force: true });
    onEvent({ type: "corrupt", path: file.path, error: bad, redownload: true });
  }
  // A partial file is resumed only when it was started for this very content.
  const partial = partialPath(dest, file.path);
  const pst = await stat(partial).catch(() => undefined);
  if (pst && state.partial[file.path] === identity && pst.size <= file.size)
    return { kind: "download", resumeFrom: pst.size };
  if (pst) await rm(partial, { force: true });
  return { kind: "download", resumeFrom: 0 };
}
