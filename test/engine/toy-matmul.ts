// A MatMul-heavy toy model (a chain of square fp32 MatMuls), for thread-scaling measurements and for the
// workerd smoke test: big enough that the work dominates overheads, small enough to build in milliseconds.
import { DataType, GraphBuilder, makeModel, Random, writeModel } from "../../onnx-graph";

export interface MatMulChain {
  /** Rows of the input `x` [rows, width]. */
  rows: number;
  width: number;
  layers: number;
}

/** y = tanh(...tanh(x·W0)·W1 ...); tanh keeps activations bounded so fp32 results stay comparable. */
export function matmulChainModel({ rows, width, layers }: MatMulChain) {
  const rnd = new Random(11);
  const g = new GraphBuilder("matmul_chain");
  let x = g.input("x", DataType.FLOAT, [rows, width]);
  for (let i = 0; i < layers; i++) {
    const w = g.initializer(`w${i}`, rnd.fork(`w${i}`).normalArray(width * width, 1 / Math.sqrt(width)), [
      width,
      width,
    ]);
    x = g.op("Tanh", [g.op("MatMul", [x, w])]);
  }
  g.op("Identity", [x], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [rows, width]);
  return makeModel(g.build(), { opsets: { "": 17 } });
}

/** Writes the chain to `path` with its weights as external data (`<file>_data`), as the real files are stored. */
export function writeMatMulChain(path: string, shape: MatMulChain) {
  return writeModel(path, matmulChainModel(shape), { externalData: { threshold: 1024 } });
}

/** Multiply-accumulates of one run. */
export function matmulChainMacs({ rows, width, layers }: MatMulChain): number {
  return rows * width * width * layers;
}
