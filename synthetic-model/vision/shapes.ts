// Shape arithmetic written as the PyTorch exporter writes it when height and width are dynamic: sizes are read
// from tensors (Shape → Gather), combined with int64 Mul/Div/Mod, and concatenated into Reshape targets. Nothing
// here bakes a size, so the vision graph keeps working at any input height and width.
import type { Exporter } from "../export-ops";

/** Sizes of one tensor, each as a 1-element int64 tensor (what a Reshape target is concatenated from). */
export function dimsOf(ex: Exporter, x: string, axes: number[]): string[] {
  const shape = ex.op("Shape", [x]);
  return axes.map((a) =>
    ex.op("Unsqueeze", [ex.op("Gather", [shape, ex.scalarInt(a)], { axis: 0 }), ex.ints([0])]),
  );
}

/** One dimension of x as a 0-D int64 scalar (for Range). */
export function dimScalar(ex: Exporter, x: string, axis: number): string {
  return ex.op("Gather", [ex.op("Shape", [x]), ex.scalarInt(axis)], { axis: 0 });
}

export function mulInt(ex: Exporter, a: string, b: string): string {
  return ex.op("Mul", [a, b]);
}

/** Integer division of a 1-element int64 tensor by a constant (exact where it is used: padded sizes). */
export function divConst(ex: Exporter, a: string, k: number): string {
  return ex.op("Div", [a, ex.ints([k])]);
}

/** (k − a mod k) mod k: the right/bottom padding that makes a a multiple of k. */
export function padToMultiple(ex: Exporter, a: string, k: number): string {
  const m = ex.op("Mod", [a, ex.ints([k])], { fmod: 0 });
  return ex.op("Mod", [ex.op("Sub", [ex.ints([k]), m]), ex.ints([k])], { fmod: 0 });
}

/** A token sequence (B, N, C) together with the spatial size it flattens, N = H·W (row-major). */
export interface TokenMap {
  x: string;
  /** Height and width as 1-element int64 tensors. */
  h: string;
  w: string;
}
