// Tensors on the RPC wire between the API Worker and the stage Workers: a plain object per tensor (element
// type, dims, the values as an ArrayBuffer), which structured clone carries without a per-element cost.
// Values are sent as they are (float32 stays float32): a stage's outputs are bit-identical to the in-process
// run. One call's tensors must stay under the RPC limit of 32 MiB (arguments and results alike).
import type { ElemType } from "../model-splitter/manifest";
import type { NamedTensors, StageTensor, TensorData } from "../runtime/engine/staged/tensors";

export interface WireTensor {
  type: ElemType;
  dims: number[];
  data: ArrayBuffer;
}

export type WireTensors = Record<string, WireTensor>;

/** Cloudflare's limit on one RPC call's arguments or result. */
export const RPC_LIMIT_BYTES = 32 * 2 ** 20;
/** Room left for the envelope (names, dims, structured-clone headers). */
const ENVELOPE_BYTES = 64 * 1024;

/** The exact bytes of a typed array (its own buffer when the view covers all of it, else a copy). */
function bytesOf(data: TensorData): ArrayBuffer {
  const buffer = data.buffer as ArrayBuffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

function viewOf(type: ElemType, data: ArrayBuffer): TensorData {
  switch (type) {
    case "float32":
      return new Float32Array(data);
    case "int64":
      return new BigInt64Array(data);
    case "int32":
      return new Int32Array(data);
    case "int8":
      return new Int8Array(data);
    case "bool":
    case "uint8":
      return new Uint8Array(data);
  }
}

/** Bytes of tensor data in a payload. */
export function payloadBytes(tensors: WireTensors): number {
  let n = 0;
  for (const t of Object.values(tensors)) n += t.data.byteLength;
  return n;
}

/** Throws a clear error when a call's tensors would exceed the RPC limit. */
export function assertWithinRpcLimit(tensors: WireTensors, what: string): number {
  const bytes = payloadBytes(tensors);
  if (bytes + ENVELOPE_BYTES > RPC_LIMIT_BYTES) {
    const largest = Object.entries(tensors)
      .sort((a, b) => b[1].data.byteLength - a[1].data.byteLength)
      .slice(0, 3)
      .map(([k, t]) => `${k} [${t.dims.join("×")}] ${t.data.byteLength} B`)
      .join(", ");
    throw new RangeError(
      `${what}: ${bytes} bytes of tensors exceed the 32 MiB RPC limit (largest: ${largest}); split the model with a smaller budget`,
    );
  }
  return bytes;
}

export function toWire(tensors: NamedTensors): WireTensors {
  const out: WireTensors = {};
  for (const [name, t] of tensors) out[name] = toWireTensor(t);
  return out;
}

export function toWireTensor(t: StageTensor): WireTensor {
  return { type: t.type, dims: [...t.dims], data: bytesOf(t.data) };
}

export function fromWire(tensors: WireTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, t] of Object.entries(tensors)) out.set(name, fromWireTensor(t, name));
  return out;
}

export function fromWireTensor(t: WireTensor, name = "tensor"): StageTensor {
  const data = viewOf(t.type, t.data);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (data.length !== count)
    throw new Error(`${name}: ${data.length} ${t.type} values for dims [${t.dims.join(", ")}]`);
  return { type: t.type, dims: [...t.dims], data };
}
