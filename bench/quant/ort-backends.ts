// onnxruntime-web (WASM, in Node) and onnxruntime-node behind one small interface, for the benchmarks.
// onnxruntime-web's thread count is process-wide and fixed at its first session, so a benchmark that compares
// thread counts runs each in its own process (see op-patterns.ts).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";

export type Backend = "web" | "node";

export interface Feed {
  type: "float32" | "int64" | "bool";
  data: Float32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

export interface BenchSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(
    feeds: Record<string, Feed>,
  ): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }>>;
  release(): Promise<void>;
}

let webThreads: number | undefined;

/** Opens `modelPath` (with its external data files, if any) on the chosen backend. */
export async function openSession(
  backend: Backend,
  threads: number,
  modelPath: string,
  externalDataFiles: string[] = [],
): Promise<BenchSession> {
  if (backend === "web") {
    if (webThreads === undefined) {
      webThreads = threads;
      ortWeb.env.wasm.numThreads = threads;
      ortWeb.env.wasm.proxy = false;
      ortWeb.env.logLevel = "error";
    } else if (webThreads !== threads) {
      throw new Error(`onnxruntime-web already runs with ${webThreads} threads in this process`);
    }
    const externalData = externalDataFiles.map((p) => ({
      path: basename(p),
      data: new Uint8Array(readFileSync(p)),
    }));
    const s = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(modelPath)), {
      executionProviders: ["wasm"],
      ...(externalData.length ? { externalData } : {}),
    });
    return wrap(s, (f) => new ortWeb.Tensor(f.type, f.data, f.dims));
  }
  const s = await ortNode.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  return wrap(s, (f) => new ortNode.Tensor(f.type, f.data, f.dims));
}

interface AnySession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, never>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

function wrap<T>(s: AnySession, tensor: (f: Feed) => T): BenchSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds) {
      const t: Record<string, T> = {};
      for (const [k, f] of Object.entries(feeds)) t[k] = tensor(f);
      const r = await s.run(t as Record<string, never>);
      const out: Record<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }> = {};
      for (const [k, v] of Object.entries(r))
        out[k] = { data: v.data as ArrayLike<number | bigint>, dims: v.dims };
      return out;
    },
    release: () => s.release(),
  };
}
