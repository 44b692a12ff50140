// Where the graphs' files are in a model folder, and how their bytes (model + external data) are fetched
// through an injected loader: the runtime never touches a file system, R2 or KV itself.
import { externalDataLocations } from "./external-data";
import type { GraphName } from "./types";

/** Returns a file's bytes given its path relative to the model folder (e.g. "onnx/embed_tokens.onnx"). */
export type LoadFile = (path: string) => Promise<Uint8Array>;

const decoder = new TextDecoder();

/** A JSON object file of the model folder. */
export async function readJson(load: LoadFile, path: string): Promise<Record<string, unknown>> {
  return JSON.parse(decoder.decode(await load(path))) as Record<string, unknown>;
}

/** The same, or undefined when the file is missing or not JSON (optional config files). */
export async function readOptionalJson(
  load: LoadFile,
  path: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await readJson(load, path);
  } catch {
    return undefined;
  }
}

export interface ModelFileOptions {
  /**
   * transformers.js variant suffix appended to every stem ("" fp32, "_fp16", "_quantized", "_q4", ...).
   * Default "".
   */
  suffix?: string;
  /** Per-graph overrides of the path relative to the model folder. */
  files?: Partial<Record<GraphName, string>>;
}

/** Path of a graph's .onnx file relative to the model folder. */
export function graphPath(name: GraphName, opts: ModelFileOptions = {}): string {
  return opts.files?.[name] ?? `onnx/${name}${opts.suffix ?? ""}.onnx`;
}

/** A model and the external data files it refers to, keyed by the location written in the model. */
export interface GraphBytes {
  path: string;
  model: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

/** Loads a graph's .onnx bytes and every external data file it names (locations are relative to the .onnx). */
export function loadGraphBytes(
  name: GraphName,
  load: LoadFile,
  opts: ModelFileOptions = {},
): Promise<GraphBytes> {
  return loadOnnxBytes(graphPath(name, opts), load);
}

/** Loads any .onnx file of the model folder with its external data. */
export async function loadOnnxBytes(path: string, load: LoadFile): Promise<GraphBytes> {
  const model = await load(path);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const externalData = await Promise.all(
    externalDataLocations(model).map(async (location) => {
      if (location.startsWith("/") || location.split("/").includes("..")) {
        throw new Error(`${path}: external data location escapes the model folder: ${location}`);
      }
      return { path: location, data: await load(dir + location) };
    }),
  );
  return { path, model, externalData };
}
