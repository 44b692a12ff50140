// What a file is checked against: the LFS sha256 when the Hub lists one, else the git blob sha1 of the tree
// entry (sha1 over "blob <size>\0" + content, git's object id), else its size alone.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { RemoteFile } from "./files";

export type Check = "sha256" | "git-sha1" | "size";

export interface Verifier {
  readonly check: Check;
  readonly expected: string | undefined;
  update(chunk: Uint8Array): void;
  /** Hex digest of everything fed so far (undefined for size-only). Call once. */
  digest(): string | undefined;
}

export function createVerifier(file: RemoteFile): Verifier {
  let hash: Hash | undefined;
  let check: Check = "size";
  let expected: string | undefined;
  if (file.sha256) {
    hash = createHash("sha256");
    check = "sha256";
    expected = file.sha256.toLowerCase();
  } else if (file.gitOid) {
    hash = createHash("sha1").update(`blob ${file.size}\0`);
    check = "git-sha1";
    expected = file.gitOid.toLowerCase();
  }
  return {
    check,
    expected,
    update: (chunk) => void hash?.update(chunk),
    digest: () => hash?.digest("hex"),
  };
}

/** Feeds the first `length` bytes of a local file (or all of it) to the verifier. */
export async function feedFile(path: string, verifier: Verifier, length?: number): Promise<number> {
  if (verifier.check === "size" || length === 0) return 0;
  let n = 0;
  const stream = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(length !== undefined ? { end: length - 1 } : {}),
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    verifier.update(chunk);
    n += chunk.length;
  }
  return n;
}

/** The key of what a file must hash to, for comparing with recorded state. */
export function identityOf(file: RemoteFile): string {
  return file.sha256
    ? `sha256:${file.sha256.toLowerCase()}`
    : file.gitOid
      ? `git:${file.gitOid.toLowerCase()}`
      : `size:${file.size}`;
}
