// Tensors as stages exchange them: plain typed arrays with an element type and dims, independent of any
// onnxruntime package (a stage may run in another isolate; what crosses is structured-cloneable).
import type { ElemType } from "../../../model-splitter/manifest";
import type { Tensor, TensorConstructor } from "../ort-types";

export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

export interface StageTensor {
  type: ElemType;
  dims: number[];
  data: TensorData;
}

/** Named values flowing through a role's stages. */
export type NamedTensors = Map<string, StageTensor>;

export function toOrt(Ctor: TensorConstructor, t: StageTensor): Tensor {
  return new Ctor(t.type, t.data as Float32Array, t.dims);
}

export function fromOrt(t: Tensor): StageTensor {
  return { type: t.type as ElemType, dims: [...t.dims], data: t.data as TensorData };
}

export function floatTensor(data: Float32Array, dims: number[]): StageTensor {
  return { type: "float32", dims, data };
}

export function int64Tensor(data: BigInt64Array, dims: number[]): StageTensor {
  return { type: "int64", dims, data };
}

export function floatsOf(t: StageTensor | undefined, name: string): Float32Array {
  if (!t) throw new Error(`no value named ${name}`);
  if (!(t.data instanceof Float32Array)) throw new Error(`${name} is ${t.type}, expected float32`);
  return t.data;
}

/** The named values a stage declares as inputs, taken from `env` (missing ones are an error). */
export function pick(env: NamedTensors, names: readonly string[], what: string): NamedTensors {
  const out: NamedTensors = new Map();
  for (const n of names) {
    const t = env.get(n);
    if (!t) throw new Error(`${what} needs ${n}, which no earlier stage produced`);
    out.set(n, t);
  }
  return out;
}
