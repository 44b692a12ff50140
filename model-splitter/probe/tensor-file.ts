// A stage's inputs on disk, so the measuring process holds nothing but the stage and what it is given (the
// stages before it run in another process). Layout: 4-byte little-endian header length, JSON header
// (records of named tensors with their byte offsets), then the raw data.
import { readFileSync, writeFileSync } from "node:fs";
import type { ElemType } from "../manifest";
import type { NamedTensors, StageTensor, TensorData } from "../../runtime/engine/staged/tensors";

interface Entry {
  record: number;
  name: string;
  type: ElemType;
  dims: number[];
  offset: number;
  length: number;
}

const ARRAYS: Record<ElemType, new (buffer: ArrayBuffer, offset: number, length: number) => TensorData> = {
  float32: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
  uint8: Uint8Array,
  int8: Int8Array,
};

/** Writes records (e.g. one per decoder step) of named tensors. */
export function writeTensorFile(path: string, records: NamedTensors[]): void {
  const entries: Entry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  records.forEach((rec, record) => {
    for (const [name, t] of rec) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const pad = (8 - (offset % 8)) % 8;
      if (pad) chunks.push(new Uint8Array(pad));
      offset += pad;
      entries.push({ record, name, type: t.type, dims: t.dims, offset, length: bytes.length });
      chunks.push(bytes);
      offset += bytes.length;
    }
  });
  const header = new TextEncoder().encode(JSON.stringify(entries));
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, header.length, true);
  const headerPad = new Uint8Array((8 - (header.length % 8)) % 8);
  writeFileSync(path, Buffer.concat([head, header, headerPad, ...chunks]));
}

export function readTensorFile(path: string): NamedTensors[] {
  const file = readFileSync(path);
  const len = file.readUInt32LE(0);
  const entries = JSON.parse(file.subarray(8, 8 + len).toString("utf8")) as Entry[];
  const base = 8 + len + ((8 - (len % 8)) % 8);
  const records: NamedTensors[] = [];
  for (const e of entries) {
    // Each tensor gets its own buffer (as a structured clone from RPC would deliver it).
    const own = new Uint8Array(e.length);
    own.set(file.subarray(base + e.offset, base + e.offset + e.length));
    const Arr = ARRAYS[e.type];
    const size = Arr === Float32Array || Arr === Int32Array ? 4 : Arr === BigInt64Array ? 8 : 1;
    const t: StageTensor = { type: e.type, dims: e.dims, data: new Arr(own.buffer, 0, e.length / size) };
    (records[e.record] ??= new Map()).set(e.name, t);
  }
  return records;
}
