// onnxruntime-web in Node: the WASM engine with the model read from a folder. Two choices matter:
// - which build: the package's Node build (`onnxruntime-web` under the "node" condition) can start WASM
//   threads through worker_threads; the WASM-only web bundle (`onnxruntime-web/wasm`, what workerd runs)
//   works here single-threaded only (it fetch()es its worker script, which Node cannot do for file: URLs).
// - how the binary is loaded: by onnxruntime-web itself, or compiled here and handed over as a precompiled
//   WebAssembly.Module, the path workerd needs (runtime/ort-env.ts).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createOrtWebEngine } from "../runtime/engine/ort-web";
import type { ModelFileOptions } from "../runtime/engine/model-files";
import type { Florence2Engine } from "../runtime/engine/types";
import type { OrtWeb, OrtWebSettings } from "../runtime/ort-env";
import { fileLoader } from "./load-file";

export interface OrtWebNodeEngineOptions extends ModelFileOptions, Omit<OrtWebSettings, "wasmModule"> {
  modelDir: string;
  /** "node" (default): the Node build, threads allowed. "wasm": the web bundle workerd uses, 1 thread. */
  build?: "node" | "wasm";
  /** Compile the .wasm here and pass it as a precompiled module, as workerd must (default false). */
  precompiled?: boolean;
}

/** The onnxruntime-web module of the given build (each is a separate instance with its own env). */
export async function loadOrtWeb(build: "node" | "wasm" = "node"): Promise<OrtWeb> {
  return build === "node" ? import("onnxruntime-web") : import("onnxruntime-web/wasm");
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * onnxruntime-web's `ort-wasm-simd-threaded.wasm` from the installed package, compiled once per process (an
 * onnxruntime-web instance initialises with one binary, so every engine of the process must pass the same).
 */
export function compileOrtWasm(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm");
  compiled ??= readFile(path).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

export async function createOrtWebNodeEngine(opts: OrtWebNodeEngineOptions): Promise<Florence2Engine> {
  const { modelDir, build, precompiled, ...rest } = opts;
  return createOrtWebEngine({
    ...rest,
    ort: await loadOrtWeb(build),
    loadFile: fileLoader(modelDir),
    wasmModule: precompiled ? await compileOrtWasm() : undefined,
  });
}
