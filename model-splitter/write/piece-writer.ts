// Writes one piece (a GraphProto) as a standalone model: the .onnx with its weights as external data in
// chunk files of at most `chunkBytes` each (a tensor never spans two files; larger tensors were split by
// split-tensors.ts before planning). Returns the manifest's GraphEntry.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  dtypeName,
  makeModel,
  tensorByteLength,
  tensorTypeOf,
  writeModel,
  type ExternalLoader,
  type GraphProto,
  type ModelProto,
  type ValueInfoProto,
} from "../../onnx-graph";
import type { ElemType, GraphEntry, TensorSpec } from "../manifest";
import { fileEntry } from "./files";

export interface PieceWriteOptions {
  root: string;
  /** Folder (relative to root) and id: the file is `<dir>/<id>.onnx`. */
  dir: string;
  id: string;
  chunkBytes: number;
  /** The source model (opsets, IR version). */
  source: ModelProto;
  load?: ExternalLoader;
  /** Concrete dims to record for I/O whose declared dims are unknown. */
  dimsOf?: (name: string) => number[] | undefined;
}

export function tensorSpec(vi: ValueInfoProto, dimsOf?: (name: string) => number[] | undefined): TensorSpec {
  const t = tensorTypeOf(vi);
  if (!t) throw new Error(`${vi.name} is not a tensor`);
  const known = dimsOf?.(vi.name);
  const dims = t.dims?.every((d) => d !== null) ? (t.dims as (number | string)[]) : (known ?? []);
  return { name: vi.name, type: dtypeName(t.elemType) as ElemType, dims };
}

export function writePiece(graph: GraphProto, o: PieceWriteOptions): GraphEntry {
  const model = makeModel(graph, {
    opsets: Object.fromEntries(o.source.opsetImport.map((op) => [op.domain, Number(op.version)])),
    irVersion: Number(o.source.irVersion),
    producerName: "florence-edge model-splitter",
  });
  const path = join(o.root, o.dir, `${o.id}.onnx`);
  mkdirSync(dirname(path), { recursive: true });
  const written = writeModel(path, model, {
    externalData: { maxFileBytes: o.chunkBytes, location: `${o.id}.onnx.data`, threshold: 1024 },
    load: o.load,
  });
  const [main, ...chunks] = written;
  return {
    id: o.id,
    model: fileEntry(o.root, main!.path),
    externalData: chunks.map((c) => fileEntry(o.root, c.path)),
    inputs: graph.input.map((vi) => tensorSpec(vi, o.dimsOf)),
    outputs: graph.output.map((vi) => tensorSpec(vi, o.dimsOf)),
    weightBytes: graph.initializer.reduce((a, t) => a + tensorByteLength(t), 0),
  };
}
