// Small helpers of the int8 GEMM experiments (batched-blocks, one-row-gemm, cross-attention): a GraphBuilder
// graph as an onnxruntime-web session, and a weight's column blocks as one DynamicQuantizeMatMul each + Concat
// (the quantizer's Concat split form, written directly so the experiments can vary it).
import * as ortWeb from "onnxruntime-web";
import { toBinary } from "@bufbuild/protobuf";
import { DataType, GraphBuilder, makeModel, ModelProtoSchema } from "../../onnx-graph";

/** A session on onnxruntime-web's WASM EP with full graph optimisation (the runtime's setting). */
export function webSession(g: GraphBuilder): Promise<ortWeb.InferenceSession> {
  const m = makeModel(g.build(), { opsets: { "": 17, "com.microsoft": 1 } });
  return ortWeb.InferenceSession.create(toBinary(ModelProtoSchema, m as never), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
}

/**
 * `input` × the int8 weight `q` [K, N] (per-column `scales`) in column blocks of `B`, one DynamicQuantizeMatMul
 * each, joined by a Concat on the last axis into the value `output`.
 */
export function concatColumnBlocks(
  g: GraphBuilder,
  input: string,
  q: { q: Int8Array; scales: Float32Array },
  K: number,
  N: number,
  B: number,
  output = "y",
): void {
  const outs: string[] = [];
  for (let c0 = 0; c0 < N; c0 += B) {
    const width = Math.min(B, N - c0);
    const w = new Int8Array(K * width);
    for (let k = 0; k < K; k++) w.set(q.q.subarray(k * N + c0, k * N + c0 + width), k * width);
    const s = q.scales.slice(c0, c0 + width);
    outs.push(
      g.op(
        "DynamicQuantizeMatMul",
        [input, g.initializer(`w${c0}`, w, [K, width], DataType.INT8), g.initializer(`s${c0}`, s, [width])],
        {},
        { domain: "com.microsoft" },
      ),
    );
  }
  g.op("Concat", outs, { axis: -1 }, { output });
}
