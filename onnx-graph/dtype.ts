// ONNX element types ↔ JS typed arrays. Only the types Florence-2 and its quantized forms use are mapped;
// anything else is an explicit error rather than a silent reinterpretation.
import { DataType } from "./proto";

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface DTypeInfo {
  readonly name: string;
  readonly bytes: number;
  readonly array: {
    new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
    new (length: number): TypedArray;
  };
}

const INFO: Partial<Record<DataType, DTypeInfo>> = {
  [DataType.FLOAT]: { name: "float32", bytes: 4, array: Float32Array },
  [DataType.DOUBLE]: { name: "float64", bytes: 8, array: Float64Array },
  [DataType.INT8]: { name: "int8", bytes: 1, array: Int8Array },
  [DataType.UINT8]: { name: "uint8", bytes: 1, array: Uint8Array },
  [DataType.BOOL]: { name: "bool", bytes: 1, array: Uint8Array },
  [DataType.INT16]: { name: "int16", bytes: 2, array: Int16Array },
  [DataType.UINT16]: { name: "uint16", bytes: 2, array: Uint16Array },
  // fp16 is carried as raw uint16 bit patterns (Float16Array is absent in Node 20).
  [DataType.FLOAT16]: { name: "float16", bytes: 2, array: Uint16Array },
  [DataType.INT32]: { name: "int32", bytes: 4, array: Int32Array },
  [DataType.UINT32]: { name: "uint32", bytes: 4, array: Uint32Array },
  [DataType.INT64]: { name: "int64", bytes: 8, array: BigInt64Array },
  [DataType.UINT64]: { name: "uint64", bytes: 8, array: BigUint64Array },
};

export function dtypeInfo(dt: DataType): DTypeInfo {
  const info = INFO[dt];
  if (!info) throw new Error(`ONNX data type ${DataType[dt] ?? dt} is not supported by onnx-graph`);
  return info;
}

export function dtypeOfArray(a: TypedArray): DataType {
  if (a instanceof Float32Array) return DataType.FLOAT;
  if (a instanceof Float64Array) return DataType.DOUBLE;
  if (a instanceof Int8Array) return DataType.INT8;
  if (a instanceof Uint8Array) return DataType.UINT8;
  if (a instanceof Int16Array) return DataType.INT16;
  if (a instanceof Uint16Array) return DataType.UINT16;
  if (a instanceof Int32Array) return DataType.INT32;
  if (a instanceof Uint32Array) return DataType.UINT32;
  if (a instanceof BigInt64Array) return DataType.INT64;
  return DataType.UINT64;
}

/** Short names as used in shapes and reports ("float32", "int64", ...). */
export function dtypeName(dt: DataType): string {
  return INFO[dt]?.name ?? String(DataType[dt] ?? dt).toLowerCase();
}
