// Value infos: names, element types and (possibly symbolic) shapes of graph inputs, outputs and
// intermediate values.
import { create } from "@bufbuild/protobuf";
import {
  DataType,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ValueInfoProto,
} from "./proto";

/** A dimension: a number, a symbolic name, or null when unknown. */
export type Dim = number | string | null;

export function valueInfo(name: string, elemType: DataType, dims: readonly Dim[] | null): ValueInfoProto {
  const shape =
    dims === null
      ? undefined
      : create(TensorShapeProtoSchema, {
          dim: dims.map((d) =>
            create(TensorShapeProto_DimensionSchema, {
              value:
                typeof d === "number"
                  ? { case: "dimValue", value: BigInt(d) }
                  : typeof d === "string"
                    ? { case: "dimParam", value: d }
                    : { case: undefined },
            }),
          ),
        });
  const tensorType = create(TypeProto_TensorSchema, { elemType, shape });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }),
  });
}

export interface TensorTypeInfo {
  elemType: DataType;
  /** null when the rank is unknown. */
  dims: Dim[] | null;
}

export function tensorTypeOf(vi: ValueInfoProto): TensorTypeInfo | undefined {
  const v = vi.type?.value;
  if (v?.case !== "tensorType") return undefined;
  const shape = v.value.shape;
  return {
    elemType: v.value.elemType,
    dims: shape
      ? shape.dim.map((d) =>
          d.value.case === "dimValue"
            ? Number(d.value.value)
            : d.value.case === "dimParam"
              ? d.value.value
              : null,
        )
      : null,
  };
}

export function formatDims(dims: readonly Dim[] | null): string {
  return dims === null ? "[?]" : `[${dims.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
