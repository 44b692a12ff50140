// Where a stage Worker reads the split folder: the R2 bucket MODEL (default) or the KV namespace MODEL_KV,
// under MODEL_PREFIX (manifest at `${MODEL_PREFIX}manifest.json`, files at `${MODEL_PREFIX}${file.path}`).
// Every graph and chunk is checked against the manifest (size and sha256) before onnxruntime sees it: a
// corrupt or stale object fails the load with its path named, instead of a model that computes garbage.
import type { FileEntry } from "../model-splitter/manifest";
import type { LoadFile } from "../runtime/engine/model-files";
import { FileCheckError } from "./errors";

export interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}
export interface KvNamespaceLike {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
}

export interface StoreEnv {
  MODEL?: R2BucketLike;
  MODEL_KV?: KvNamespaceLike;
  MODEL_PREFIX?: string;
  MODEL_STORE?: string;
}

/** Reads raw objects (no check) from the configured store. */
export function storeReader(env: StoreEnv): LoadFile {
  const prefix = env.MODEL_PREFIX ?? "";
  const store = env.MODEL_STORE ?? "r2";
  if (store === "kv") {
    const kv = env.MODEL_KV;
    if (!kv) throw new Error("MODEL_STORE is kv but there is no MODEL_KV binding");
    return async (path) => {
      const value = await kv.get(prefix + path, "arrayBuffer");
      if (!value) throw new FileCheckError(`file ${prefix + path} is not in the MODEL_KV namespace`);
      return new Uint8Array(value);
    };
  }
  if (store !== "r2") throw new Error(`MODEL_STORE must be "r2" or "kv", got ${JSON.stringify(store)}`);
  const bucket = env.MODEL;
  if (!bucket) throw new Error("there is no MODEL bucket binding");
  return async (path) => {
    const object = await bucket.get(prefix + path);
    if (!object) throw new FileCheckError(`file ${prefix + path} is not in the MODEL bucket`);
    return new Uint8Array(await object.arrayBuffer());
  };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Bytes read and time spent reading and hashing (for the cold-start figures). */
export interface LoadCounters {
  files: number;
  bytes: number;
  readMs: number;
  hashMs: number;
}

/** A loader that only returns files listed in `files` whose size and sha256 match. */
export function verifiedLoader(
  read: LoadFile,
  files: readonly FileEntry[],
  counters?: LoadCounters,
): LoadFile {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return async (path) => {
    const entry = byPath.get(path);
    if (!entry) throw new FileCheckError(`file ${path} is not listed in the manifest`);
    const t0 = performance.now();
    const bytes = await read(path);
    const t1 = performance.now();
    if (bytes.byteLength !== entry.bytes)
      throw new FileCheckError(
        `file ${path} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`,
      );
    const sha = await sha256Hex(bytes);
    if (sha !== entry.sha256.toLowerCase())
      throw new FileCheckError(
        `${path.endsWith(".onnx") ? "graph" : "chunk"} ${path} sha256 mismatch (${sha.slice(0, 12)}…, expected ${entry.sha256.slice(0, 12)}…)`,
      );
    if (counters) {
      counters.files++;
      counters.bytes += bytes.byteLength;
      counters.readMs += t1 - t0;
      counters.hashMs += performance.now() - t1;
    }
    return bytes;
  };
}
