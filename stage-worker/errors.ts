// How a stage failure crosses the RPC boundary. Workers RPC re-throws a remote error in the caller with its
// message (custom classes and properties do not survive), so the kind and the stage travel in the message:
//   "stage vision-2 could not load: chunk stages/vision-2/g2.onnx.data.0 sha256 mismatch"
//   "stage decoder-0 failed: <onnxruntime's message>"
// The API Worker parses it back (parseStageError) to answer 503 or 500 naming the stage.

export type StageFailureKind = "load" | "run";

const PHRASE: Record<StageFailureKind, string> = { load: "could not load", run: "failed" };
const PATTERN = /^stage (\S+) (could not load|failed): ([\s\S]*)$/;

export function stageError(stageId: string, kind: StageFailureKind, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  // A nested stage error (already phrased) keeps its own words.
  if (PATTERN.test(message)) return new Error(message);
  return new Error(`stage ${stageId} ${PHRASE[kind]}: ${message}`);
}

export interface ParsedStageError {
  stageId: string;
  kind: StageFailureKind;
  cause: string;
}

export function parseStageError(err: unknown): ParsedStageError | undefined {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  const m = PATTERN.exec(message);
  if (!m) return undefined;
  return { stageId: m[1]!, kind: m[2] === "failed" ? "run" : "load", cause: m[3]! };
}

/** A file whose bytes do not match the manifest (thrown while loading; reported as a corrupt file). */
export class FileCheckError extends Error {
  override readonly name = "FileCheckError";
}
