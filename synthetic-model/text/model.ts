// Wrapping a finished graph as a model file the way the non-merged exports are: opset 14, IR 8.
import { makeModel, type ModelProto } from "../../onnx-graph";
import type { ParamStats } from "../export-ops";
import type { TextExporter } from "./text-exporter";

export interface BuiltGraph {
  model: ModelProto;
  stats: ParamStats;
}

export const TEXT_OPSET = 14;

export function finish(e: TextExporter): BuiltGraph {
  const model = makeModel(e.g.build(), {
    opsets: { "": TEXT_OPSET },
    irVersion: 8,
    producerName: "florence-edge synthetic-model",
  });
  return { model, stats: { ...e.stats } };
}
