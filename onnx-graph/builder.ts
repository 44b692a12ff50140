// A small builder for graphs: inputs, outputs, initializers, nodes and value infos, with unique names.
// It writes plain ONNX (no shape inference); callers give the shapes of inputs and outputs.
import { create } from "@bufbuild/protobuf";
import { makeAttribute, type AttrValue } from "./attributes";
import type { TypedArray } from "./dtype";
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
} from "./proto";
import type { DataType, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from "./proto";
import { valueInfo, type Dim } from "./shape";
import { makeTensor } from "./tensor";

export interface NodeOptions {
  /** Number of outputs (default 1) or their explicit names. */
  outputs?: number | string[];
  domain?: string;
  name?: string;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly valueInfos: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly name: string) {}

  /** A fresh name derived from `base` (base itself when free). */
  unique(base: string): string {
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    let n = this.counters.get(base) ?? 1;
    while (this.used.has(`${base}_${n}`)) n++;
    this.counters.set(base, n + 1);
    const name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Marks names as taken (e.g. outer-scope names a subgraph reads), so new names never shadow them. */
  reserve(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  input(name: string, elemType: DataType, dims: readonly Dim[] | null): string {
    this.reserve(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataType, dims: readonly Dim[] | null): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  valueInfo(name: string, elemType: DataType, dims: readonly Dim[] | null): void {
    this.valueInfos.push(valueInfo(name, elemType, dims));
  }

  /** Adds an initializer under exactly `name` (initializer names are the weights' public identity). */
  initializer(name: string, data: TypedArray, dims: readonly number[], dataType?: DataType): string {
    if (this.used.has(name))
      throw new Error(`initializer name ${name} is already used in graph ${this.name}`);
    this.used.add(name);
    this.initializers.push(makeTensor(name, data, dims, dataType));
    return name;
  }

  /** Adds an existing TensorProto as an initializer. */
  addInitializer(t: TensorProto): string {
    this.reserve(t.name);
    this.initializers.push(t);
    return t.name;
  }

  /** Adds a node and returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
    opts: NodeOptions = {},
  ): string[] {
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) =>
          this.unique(`/${opts.name ?? opType}_output_${i}`),
        );
    this.reserve(...outs);
    const attribute = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => makeAttribute(k, v));
    this.nodes.push(
      create(NodeProtoSchema, {
        name: this.unique(opts.name ?? `/${opType}`),
        opType,
        domain: opts.domain ?? "",
        input: [...inputs],
        output: outs,
        attribute,
      }),
    );
    return outs;
  }

  /** Adds a single-output node and returns its output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
    opts: Omit<NodeOptions, "outputs"> & { output?: string } = {},
  ): string {
    const [out] = this.node(opType, inputs, attrs, { ...opts, outputs: opts.output ? [opts.output] : 1 });
    return out!;
  }

  /** A Constant node holding `data` (as the PyTorch exporter writes shape constants). */
  constant(data: TypedArray, dims: readonly number[], dataType?: DataType): string {
    const out = this.unique("/Constant_output_0");
    return this.op("Constant", [], { value: makeTensor(out, data, dims, dataType) }, { output: out });
  }

  build(): GraphProto {
    return create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
    });
  }
}

export interface ModelOptions {
  /** Opset versions by domain ("" is the default ONNX domain). */
  opsets: Record<string, number>;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export function makeModel(graph: GraphProto, opts: ModelOptions): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(opts.irVersion ?? 8),
    producerName: opts.producerName ?? "florence-edge",
    producerVersion: opts.producerVersion ?? "",
    opsetImport: Object.entries(opts.opsets).map(([domain, version]) =>
      create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
    ),
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
    graph,
  });
}
