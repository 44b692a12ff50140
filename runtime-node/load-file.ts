// The Node implementation of the runtime's injected file loader: paths are relative to a model folder and
// may not leave it.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import type { LoadFile } from "../runtime/engine/model-files";

export function fileLoader(dir: string): LoadFile {
  return async (path: string) => {
    const rel = normalize(path);
    if (isAbsolute(rel) || rel.startsWith("..")) throw new Error(`path escapes the model folder: ${path}`);
    return readFile(join(dir, rel));
  };
}
