// TensorProto ↔ typed arrays. Initializers are kept as raw little-endian bytes (raw_data), which is what
// exporters write for weights and what lets the writer stream them to disk without re-encoding.
import { create } from "@bufbuild/protobuf";
import { dtypeInfo, dtypeOfArray, type TypedArray } from "./dtype";
import { DataLocation, DataType, TensorProtoSchema, type TensorProto } from "./proto";

/** A tensor's bytes that live outside the .onnx file (ONNX external data). */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

export function dimsOf(t: TensorProto): number[] {
  return t.dims.map(Number);
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The little-endian bytes of a typed array (no copy). */
export function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Build an initializer from a typed array; `dataType` overrides the inferred type (BOOL, FLOAT16). */
export function makeTensor(
  name: string,
  data: TypedArray,
  dims: readonly number[],
  dataType?: DataType,
): TensorProto {
  const dt = dataType ?? dtypeOfArray(data);
  if (numel(dims) !== data.length) {
    throw new Error(`tensor ${name}: ${data.length} elements do not fill dims [${dims.join(",")}]`);
  }
  if (dtypeInfo(dt).bytes !== data.BYTES_PER_ELEMENT)
    throw new Error(`tensor ${name}: array does not match ${DataType[dt]}`);
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: dt, rawData: bytesOf(data) });
}

export function externalRef(t: TensorProto): ExternalRef | undefined {
  if (t.dataLocation !== DataLocation.EXTERNAL) return undefined;
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get("location");
  if (!location) throw new Error(`tensor ${t.name}: external data without a location`);
  const offset = Number(kv.get("offset") ?? 0);
  const length = kv.has("length") ? Number(kv.get("length")) : numel(dimsOf(t)) * dtypeInfo(t.dataType).bytes;
  return { location, offset, length };
}

/** Loads the bytes of an externally stored tensor; supplied by whoever knows where the files are. */
export type ExternalLoader = (ref: ExternalRef) => Uint8Array;

/**
 * The raw little-endian bytes of a tensor, whatever field holds them. Zero-copy for raw_data; external data is
 * fetched through `load`.
 */
export function tensorBytes(t: TensorProto, load?: ExternalLoader): Uint8Array {
  const ext = externalRef(t);
  if (ext) {
    if (!load)
      throw new Error(`tensor ${t.name} is stored externally (${ext.location}) and no loader was given`);
    return load(ext);
  }
  if (t.rawData.length > 0 || numel(dimsOf(t)) === 0) return t.rawData;
  // Typed fields (float_data, int32_data, int64_data, ...), as some exporters write small constants.
  const info = dtypeInfo(t.dataType);
  const n = numel(dimsOf(t));
  const out = new info.array(n);
  switch (t.dataType) {
    case DataType.FLOAT:
      (out as Float32Array).set(t.floatData);
      break;
    case DataType.DOUBLE:
      (out as Float64Array).set(t.doubleData);
      break;
    case DataType.INT64:
      (out as BigInt64Array).set(t.int64Data);
      break;
    case DataType.UINT64:
    case DataType.UINT32:
      t.uint64Data.forEach(
        (v, i) =>
          ((out as BigUint64Array | Uint32Array)[i] = (out instanceof Uint32Array ? Number(v) : v) as never),
      );
      break;
    default:
      // int32_data carries every type of 32 bits or fewer (int8, uint8, bool, int16, fp16 bits, int32).
      t.int32Data.forEach((v, i) => ((out as Int32Array)[i] = v));
  }
  return bytesOf(out);
}

/** A tensor's values as the matching typed array (copied only when the bytes are unaligned). */
export function tensorToArray(t: TensorProto, load?: ExternalLoader): TypedArray {
  const bytes = tensorBytes(t, load);
  const info = dtypeInfo(t.dataType);
  if (bytes.byteOffset % info.bytes === 0) {
    return new info.array(bytes.buffer, bytes.byteOffset, bytes.byteLength / info.bytes);
  }
  const copy = new Uint8Array(bytes);
  return new info.array(copy.buffer, 0, copy.byteLength / info.bytes);
}

/** Byte size of a tensor's data without materialising it. */
export function tensorByteLength(t: TensorProto): number {
  const ext = externalRef(t);
  if (ext) return ext.length;
  return numel(dimsOf(t)) * dtypeInfo(t.dataType).bytes;
}
