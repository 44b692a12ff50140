// Reading .onnx files (Node). The file is read once; raw_data fields are zero-copy views into that buffer,
// so a 400 MB model costs 400 MB, not twice that. External data is read lazily, range by range.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { dirname, join, normalize, isAbsolute } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema, type ModelProto } from "./proto";
import type { ExternalLoader, ExternalRef } from "./tensor";

export interface LoadedModel {
  model: ModelProto;
  /** Folder of the .onnx file; external data locations are relative to it. */
  dir: string;
  /** Reads an external tensor's bytes from the files beside the model. */
  load: ExternalLoader;
}

export function readModel(path: string): LoadedModel {
  const buf = readFileSync(path);
  const model = fromBinary(ModelProtoSchema, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const dir = dirname(path);
  return { model, dir, load: externalLoader(dir) };
}

/** A loader for external data relative to `dir`; refuses locations that escape it. */
export function externalLoader(dir: string): ExternalLoader {
  return (ref: ExternalRef) => {
    const rel = normalize(ref.location);
    if (isAbsolute(rel) || rel.startsWith(".."))
      throw new Error(`external data location escapes the model folder: ${ref.location}`);
    const fd = openSync(join(dir, rel), "r");
    try {
      const out = new Uint8Array(ref.length);
      let done = 0;
      while (done < ref.length) {
        const n = readSync(fd, out, done, ref.length - done, ref.offset + done);
        if (n === 0)
          throw new Error(
            `external data ${ref.location}: file ends before offset ${ref.offset + ref.length}`,
          );
        done += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  };
}
