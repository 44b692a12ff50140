// Node attributes from plain JS values. JS has one number type, so integral numbers become INT attributes and
// others FLOAT; wrap a value in `float()` when a float attribute happens to be integral (e.g. alpha = 1).
import { create } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema,
  AttributeType,
  type AttributeProto,
  type GraphProto,
  type TensorProto,
} from "./proto";

const FLOAT = Symbol("float");
export interface FloatAttr {
  readonly [FLOAT]: true;
  readonly value: number | number[];
}
export function float(value: number | number[]): FloatAttr {
  return { [FLOAT]: true, value };
}

export type AttrValue = number | number[] | string | string[] | FloatAttr | TensorProto | GraphProto;

function isTensor(v: object): v is TensorProto {
  return "$typeName" in v && (v as { $typeName: string }).$typeName === "onnx.TensorProto";
}
function isGraph(v: object): v is GraphProto {
  return "$typeName" in v && (v as { $typeName: string }).$typeName === "onnx.GraphProto";
}

export function makeAttribute(name: string, v: AttrValue): AttributeProto {
  const enc = new TextEncoder();
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? create(AttributeProtoSchema, { name, type: AttributeType.INT, i: BigInt(v) })
      : create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: v });
  }
  if (typeof v === "string")
    return create(AttributeProtoSchema, { name, type: AttributeType.STRING, s: enc.encode(v) });
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) {
      return create(AttributeProtoSchema, {
        name,
        type: AttributeType.STRINGS,
        strings: (v as string[]).map((s) => enc.encode(s)),
      });
    }
    const nums = v as number[];
    return nums.every(Number.isInteger)
      ? create(AttributeProtoSchema, { name, type: AttributeType.INTS, ints: nums.map(BigInt) })
      : create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: nums });
  }
  if (FLOAT in v) {
    const fv = (v as FloatAttr).value;
    return Array.isArray(fv)
      ? create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: fv })
      : create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: fv });
  }
  if (isTensor(v)) return create(AttributeProtoSchema, { name, type: AttributeType.TENSOR, t: v });
  if (isGraph(v)) return create(AttributeProtoSchema, { name, type: AttributeType.GRAPH, g: v });
  throw new Error(`attribute ${name}: unsupported value`);
}

/** Reads an attribute back as a plain value (ints as numbers). */
export function attributeValue(
  a: AttributeProto,
): number | number[] | string | string[] | TensorProto | GraphProto | GraphProto[] | undefined {
  const dec = new TextDecoder();
  switch (a.type) {
    case AttributeType.INT:
      return Number(a.i);
    case AttributeType.FLOAT:
      return a.f;
    case AttributeType.STRING:
      return dec.decode(a.s);
    case AttributeType.INTS:
      return a.ints.map(Number);
    case AttributeType.FLOATS:
      return a.floats;
    case AttributeType.STRINGS:
      return a.strings.map((s) => dec.decode(s));
    case AttributeType.TENSOR:
      return a.t;
    case AttributeType.GRAPH:
      return a.g;
    case AttributeType.GRAPHS:
      return a.graphs;
    default:
      return undefined;
  }
}
