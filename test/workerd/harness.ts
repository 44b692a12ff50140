// Runs a Worker inside workerd for tests: bundle an entry with esbuild (stage-worker/dev/bundle.ts; imports of *.wasm stay separate and
// become CompiledWasm modules, i.e. precompiled WebAssembly.Module values, as on Cloudflare), start it with
// Miniflare's programmatic API and given bindings, and call it with fetch. Any test that needs "the real
// runtime" (the engine smoke test here; the full <CAPTION> pipeline later) reuses startWorker.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Miniflare } from "miniflare";
import { esbuildWorker } from "../../stage-worker/dev/bundle";

export interface WorkerBundle {
  /** The bundled ES module. */
  js: string;
  /** .wasm files the bundle imports, by the module name it imports them under. */
  wasm: { name: string; path: string }[];
  /** Uncompressed sizes in bytes: the JS and every .wasm (what counts against the script size limit). */
  sizes: { js: number; wasm: number; total: number };
}

export async function bundleWorker(entry: string): Promise<WorkerBundle> {
  const { js, wasm } = await esbuildWorker(entry);
  const jsBytes = Buffer.byteLength(js);
  const wasmBytes = wasm.reduce((a, w) => a + statSync(w.path).size, 0);
  return { js, wasm, sizes: { js: jsBytes, wasm: wasmBytes, total: jsBytes + wasmBytes } };
}

/**
 * Before 2026-08-04, so nodejs_compat is not on by default: onnxruntime-web's glue takes its Node path when
 * it sees `process.versions.node`, and that path cannot work in workerd. workerd 1.20260426 supports dates up
 * to its release.
 */
export const COMPATIBILITY_DATE = "2026-04-01";

/** Miniflare's module list for a bundle: the JS as worker.js, every .wasm as a CompiledWasm module. */
export function bundleModules(bundle: WorkerBundle) {
  return [
    { type: "ESModule" as const, path: "worker.js", contents: bundle.js },
    ...bundle.wasm.map((w) => ({
      type: "CompiledWasm" as const,
      path: w.name,
      contents: new Uint8Array(readFileSync(w.path)),
    })),
  ];
}

export interface StartWorkerOptions {
  /** The Worker's entry module (TypeScript or JS). */
  entry: string;
  /** R2 buckets by binding name, each seeded with objects (key → bytes). */
  r2?: Record<string, Record<string, Uint8Array>>;
  /** Plain text bindings. */
  vars?: Record<string, string>;
  /** Default COMPATIBILITY_DATE. */
  compatibilityDate?: string;
}

export interface RunningWorker {
  bundle: WorkerBundle;
  /** Milliseconds from `new Miniflare` to ready (workerd start + script load/compile). */
  startupMs: number;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const bundle = await bundleWorker(opts.entry);
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: bundleModules(bundle),
    compatibilityDate: opts.compatibilityDate ?? COMPATIBILITY_DATE,
    r2Buckets: Object.keys(opts.r2 ?? {}),
    bindings: opts.vars ?? {},
  });
  try {
    await mf.ready;
    const startupMs = performance.now() - t0;
    for (const [binding, objects] of Object.entries(opts.r2 ?? {})) {
      const bucket = await mf.getR2Bucket(binding);
      for (const [key, bytes] of Object.entries(objects)) await bucket.put(key, bytes);
    }
    return {
      bundle,
      startupMs,
      // Miniflare's fetch has its own (undici) Request/Response types; they are structurally the web ones.
      fetch: (path, init) =>
        mf.dispatchFetch(`http://worker${path}`, init as never) as unknown as Promise<Response>,
      dispose: () => mf.dispose(),
    };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}

/** Every file under `dir` as R2 objects keyed `<prefix>/<relative path>`. */
export function folderObjects(dir: string, prefix: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out[`${prefix}/${relative(dir, path).split("\\").join("/")}`] = new Uint8Array(readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** Uploads every file under `dir` into an R2 bucket, keyed `<prefix><relative path>`. */
export async function uploadFolder(
  bucket: { put(key: string, value: Uint8Array): Promise<unknown> },
  dir: string,
  prefix = "",
): Promise<void> {
  for (const [key, bytes] of Object.entries(folderObjects(dir, "root")))
    await bucket.put(prefix + key.slice("root/".length), bytes);
}
