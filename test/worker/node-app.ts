// The app built in Node for unit tests: the tiny model's folder (real tokenizer and metadata) with a scripted
// engine, memory caches, and optional injected fetch and rate limiter. Nothing here runs real inference.
import type { Florence2Engine } from "../../runtime/engine/types";
import { readModelFolder } from "../../runtime/model-folder";
import { fileLoader } from "../../runtime-node/load-file";
import { createApp } from "../../worker/app";
import { MemoryStore } from "../../worker/cache/byte-store";
import { configFromVars, type ConfigVars } from "../../worker/config";
import { ModelProvider } from "../../worker/model-provider";
import { tinyModelDir } from "../helpers/tiny-model";

/** An engine whose vision step waits for the test and then fails: enough to hold the queue. */
export function scriptedEngine(gate: Promise<void>): Florence2Engine {
  const never = () => Promise.reject(new Error("not scripted"));
  return {
    info: {
      backend: "ort-web",
      threads: 1,
      dModel: 4,
      vocabSize: 10,
      decoderLayers: 1,
      heads: 1,
      headDim: 4,
    },
    encodeImage: () => gate.then(() => Promise.reject(new Error("secret internal detail /srv/model.onnx"))),
    embedTokens: never,
    encode: never,
    startDecoder: never,
    release: async () => {},
  };
}

export interface NodeAppOptions {
  engineGate?: Promise<void>;
  rateLimit?: (clientKey: string) => Promise<boolean>;
  fetch?: typeof fetch;
}

export function makeApp(vars: ConfigVars = {}, opts: NodeAppOptions = {}) {
  const dir = tinyModelDir();
  const model = new ModelProvider({
    loadFolder: () => readModelFolder(fileLoader(dir), "tiny"),
    loadEngine: async () => scriptedEngine(opts.engineGate ?? Promise.resolve()),
  });
  return createApp({
    config: configFromVars(vars),
    model,
    featureLevels: [new MemoryStore()],
    resultLevels: [new MemoryStore()],
    rateLimit: opts.rateLimit,
    fetch: opts.fetch,
  });
}
