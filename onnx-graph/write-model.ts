// Writing .onnx files (Node) without ever holding a second copy of the weights. protobuf's toBinary would
// build the whole message in a growing buffer and copy it again at the end (≈3.7× the model in memory for
// 384 MB, DEPENDENCIES.md §1), so the top-level initializers are framed by hand: every other part is
// encoded by protobuf-es, and each weight's bytes go straight to disk, inline (raw_data) or as external data
// in one or more files.
import { closeSync, openSync, writeSync } from "node:fs";
import { basename, join, dirname } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  DataLocation,
  GraphProtoSchema,
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProtoSchema,
} from "./proto";
import type { GraphProto, ModelProto, TensorProto } from "./proto";
import { tensorByteLength, tensorBytes, type ExternalLoader } from "./tensor";

export interface ExternalDataOptions {
  /** File name of the (first) data file, relative to the model; default `<model file>_data`. */
  location?: string;
  /** Tensors smaller than this stay inline (default 1024 bytes, like onnx's convert_model_to_external_data). */
  threshold?: number;
  /** Start a new data file when the current one would exceed this many bytes (files named `<location>.<n>`). */
  maxFileBytes?: number;
}

export interface WriteOptions {
  /** Store large initializers as external data instead of inline raw_data. */
  externalData?: ExternalDataOptions;
  /** Loader for source tensors that are themselves external. */
  load?: ExternalLoader;
}

export interface WrittenFile {
  path: string;
  bytes: number;
}

const GRAPH_FIELD = 7; // ModelProto.graph
const INITIALIZER_FIELD = 5; // GraphProto.initializer
const RAW_DATA_FIELD = 9; // TensorProto.raw_data

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

function lengthDelimitedHeader(field: number, length: number): Uint8Array {
  const tag = varint((field << 3) | 2);
  const len = varint(length);
  const out = new Uint8Array(tag.length + len.length);
  out.set(tag);
  out.set(len, tag.length);
  return out;
}

/** A top-level initializer ready to be framed: encoded metadata plus the bytes that follow as raw_data. */
interface FramedTensor {
  head: Uint8Array;
  data?: Uint8Array;
  size: number;
}

export function writeModel(path: string, model: ModelProto, opts: WriteOptions = {}): WrittenFile[] {
  if (!model.graph) throw new Error("model has no graph");
  const graph = model.graph;
  const ext = opts.externalData;
  const threshold = ext?.threshold ?? 1024;
  const location = ext?.location ?? `${basename(path)}_data`;
  const dataFiles: { name: string; fd: number; bytes: number }[] = [];
  const written: WrittenFile[] = [];

  const dataFileFor = (size: number) => {
    if (ext?.maxFileBytes !== undefined && size > ext.maxFileBytes) {
      // One tensor cannot span files in ONNX external data; splitting it is a graph change (model-splitter's job).
      throw new Error(
        `a tensor of ${size} bytes does not fit data files of at most ${ext.maxFileBytes} bytes`,
      );
    }
    let cur = dataFiles[dataFiles.length - 1];
    if (!cur || (ext?.maxFileBytes !== undefined && cur.bytes > 0 && cur.bytes + size > ext.maxFileBytes)) {
      const name = ext?.maxFileBytes !== undefined ? `${location}.${dataFiles.length}` : location;
      cur = { name, fd: openSync(join(dirname(path), name), "w"), bytes: 0 };
      dataFiles.push(cur);
    }
    return cur;
  };

  try {
    const framed: FramedTensor[] = graph.initializer.map((t) => {
      const size = tensorByteLength(t);
      if (ext && size >= threshold) {
        const bytes = tensorBytes(t, opts.load);
        const file = dataFileFor(size);
        const offset = file.bytes;
        writeAll(file.fd, bytes);
        file.bytes += bytes.length;
        const meta = stripData(t);
        meta.dataLocation = DataLocation.EXTERNAL;
        meta.externalData = [
          create(StringStringEntryProtoSchema, { key: "location", value: file.name }),
          create(StringStringEntryProtoSchema, { key: "offset", value: String(offset) }),
          create(StringStringEntryProtoSchema, { key: "length", value: String(bytes.length) }),
        ];
        const head = toBinary(TensorProtoSchema, meta);
        return { head, size: head.length };
      }
      const data = tensorBytes(t, opts.load);
      const head = toBinary(TensorProtoSchema, stripData(t));
      const rawHeader =
        data.length > 0 ? lengthDelimitedHeader(RAW_DATA_FIELD, data.length) : new Uint8Array(0);
      const head2 = concat(head, rawHeader);
      return { head: head2, data, size: head2.length + data.length };
    });

    const graphRest = toBinary(
      GraphProtoSchema,
      inlineSubgraphData({ ...graph, initializer: [] }, opts.load),
    );
    const initHeaders = framed.map((f) => lengthDelimitedHeader(INITIALIZER_FIELD, f.size));
    const graphLen = graphRest.length + framed.reduce((a, f, i) => a + initHeaders[i]!.length + f.size, 0);
    const modelRest = toBinary(ModelProtoSchema, { ...model, graph: undefined });

    const fd = openSync(path, "w");
    let total = 0;
    const put = (b: Uint8Array) => {
      writeAll(fd, b);
      total += b.length;
    };
    try {
      put(modelRest);
      put(lengthDelimitedHeader(GRAPH_FIELD, graphLen));
      put(graphRest);
      framed.forEach((f, i) => {
        put(initHeaders[i]!);
        put(f.head);
        if (f.data) put(f.data);
      });
    } finally {
      closeSync(fd);
    }
    written.push({ path, bytes: total });
  } finally {
    for (const f of dataFiles) {
      closeSync(f.fd);
      written.push({ path: join(dirname(path), f.name), bytes: f.bytes });
    }
  }
  return written;
}

/** Tensor metadata without its data fields (the data is framed separately). */
function stripData(t: TensorProto): TensorProto {
  return create(TensorProtoSchema, {
    name: t.name,
    dims: t.dims,
    dataType: t.dataType,
    docString: t.docString,
  });
}

/** Subgraph initializers are small (shape constants); they are written inline, resolving external ones. */
function inlineSubgraphData(graph: GraphProto, load?: ExternalLoader): GraphProto {
  const hasExternal = graph.node.some((n) => n.attribute.some((a) => a.g || a.graphs.length));
  if (!hasExternal || !load) return graph;
  for (const n of graph.node) {
    for (const a of n.attribute) {
      for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) {
        g.initializer = g.initializer.map((t) =>
          t.dataLocation === DataLocation.EXTERNAL
            ? create(TensorProtoSchema, { ...stripData(t), rawData: tensorBytes(t, load) })
            : t,
        );
        inlineSubgraphData(g, load);
      }
    }
  }
  return graph;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}
