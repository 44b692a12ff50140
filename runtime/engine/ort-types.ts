// The slice of the onnxruntime JS API the engine uses. onnxruntime-web and onnxruntime-node both implement
// onnxruntime-common's API, so one engine serves both; each flavour passes its own Tensor class (tensors
// must come from the same package as the session that runs them).
import type { InferenceSession, Tensor, TensorConstructor } from "onnxruntime-web";

export type { InferenceSession, Tensor, TensorConstructor };

export type Feeds = InferenceSession.FeedsType;

/** Numeric dims of a graph input or output as declared in the model (symbolic dims → string). */
export function declaredShape(
  session: InferenceSession,
  name: string,
  kind: "input" | "output",
): readonly (number | string)[] {
  const names = kind === "input" ? session.inputNames : session.outputNames;
  const meta = (kind === "input" ? session.inputMetadata : session.outputMetadata)[names.indexOf(name)];
  if (!meta) throw new Error(`the graph has no ${kind} named ${name} (it has: ${names.join(", ")})`);
  if (!meta.isTensor) throw new Error(`${kind} ${name} is not a tensor`);
  return meta.shape;
}

/** A dim that must be a number in the model (e.g. hidden size, heads); explains which one when it is not. */
export function staticDim(
  session: InferenceSession,
  name: string,
  kind: "input" | "output",
  axis: number,
  what: string,
): number {
  const dim = declaredShape(session, name, kind)[axis];
  if (typeof dim !== "number" || dim <= 0) {
    throw new Error(
      `cannot read ${what}: ${kind} ${name} has dim ${axis} = ${String(dim)}, expected a number`,
    );
  }
  return dim;
}
