// Node: a ready Florence-2 pipeline from a model folder on disk, on onnxruntime-web (WASM, threads) or
// onnxruntime-node (native).
import { photonWasmModule } from "@cf-wasm/photon/node";
import type { Florence2Engine } from "../runtime/engine/types";
import { readModelFolder } from "../runtime/model-folder";
import { Florence2 } from "../runtime/pipeline";
import { installPhoton } from "../runtime/pixels";
import { createOrtNodeEngine } from "./engine-ort-node";
import { createOrtWebNodeEngine } from "./engine-ort-web-node";
import { fileLoader } from "./load-file";

export type NodeBackend = "ort-web" | "ort-node";

export interface LoadFlorence2Options {
  modelDir: string;
  /** Default "ort-web" (the same engine the Worker runs). */
  backend?: NodeBackend;
  /** Intra-op threads (default: 1 for ort-web's web bundle, all cores otherwise). */
  threads?: number;
}

export async function createNodeEngine(opts: LoadFlorence2Options): Promise<Florence2Engine> {
  const backend = opts.backend ?? "ort-web";
  return backend === "ort-node"
    ? createOrtNodeEngine({ modelDir: opts.modelDir, threads: opts.threads })
    : createOrtWebNodeEngine({ modelDir: opts.modelDir, numThreads: opts.threads });
}

export async function loadFlorence2(opts: LoadFlorence2Options): Promise<Florence2> {
  installPhoton(photonWasmModule);
  const folder = await readModelFolder(fileLoader(opts.modelDir), opts.modelDir);
  return new Florence2(await createNodeEngine(opts), folder);
}
