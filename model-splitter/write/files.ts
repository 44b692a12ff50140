// Files of the split folder with their size and sha256 (what manifest.json lists and the runtime may verify).
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { FileEntry } from "../manifest";

export function sha256File(path: string): string {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

/** Entry of a file under `root` (path relative to it, forward slashes). */
export function fileEntry(root: string, path: string): FileEntry {
  return {
    path: relative(root, path).split("\\").join("/"),
    bytes: statSync(path).size,
    sha256: sha256File(path),
  };
}

export function entryFor(root: string, rel: string): FileEntry {
  return fileEntry(root, join(root, rel));
}
