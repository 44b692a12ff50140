// Bundles a Worker entry for workerd with esbuild, the way wrangler does: `*.wasm` imports stay separate
// modules (CompiledWasm: precompiled by the platform) and `cloudflare:*` is provided by the runtime.
// Node-only imports of onnxruntime-web's Emscripten glue are left external (that path never runs in workerd).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { build, type Plugin } from "esbuild";

export interface BundledWorker {
  /** The entry module's source. */
  js: string;
  /** The .wasm modules it imports, by module name (`./<name>` in the bundle). */
  wasm: { name: string; bytes: Uint8Array }[];
}

function wasmModules(found: Map<string, string>): Plugin {
  return {
    name: "wasm-modules",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.namespace === "wasm-module") return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          namespace: "wasm-module",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const name = basename(resolved.path);
        const prev = found.get(name);
        if (prev && prev !== resolved.path) throw new Error(`two different ${name} files imported`);
        found.set(name, resolved.path);
        return { path: `./${name}`, external: true };
      });
    },
  };
}

/** The esbuild step alone: the bundled entry and the .wasm files it imports (module name → file path). */
export async function esbuildWorker(
  entry: string,
): Promise<{ js: string; wasm: { name: string; path: string }[] }> {
  const found = new Map<string, string>();
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "module", "worker_threads", "fs", "path", "url"],
    plugins: [wasmModules(found)],
    logLevel: "silent",
  });
  return { js: result.outputFiles[0]!.text, wasm: [...found].map(([name, path]) => ({ name, path })) };
}

export async function bundleWorkerEntry(entry: string): Promise<BundledWorker> {
  const { js, wasm } = await esbuildWorker(entry);
  return { js, wasm: wasm.map(({ name, path }) => ({ name, bytes: new Uint8Array(readFileSync(path)) })) };
}

/** Miniflare's module list for a bundle. */
export function miniflareModules(bundle: BundledWorker) {
  return [
    { type: "ESModule" as const, path: "worker.js", contents: bundle.js },
    ...bundle.wasm.map((w) => ({ type: "CompiledWasm" as const, path: w.name, contents: w.bytes })),
  ];
}
