// Imported first by the probe entry: records every WebAssembly.Memory the Worker's modules create (imported
// memories, e.g. onnxruntime-web's threaded build) or export (instances made by WebAssembly.instantiate or
// new WebAssembly.Instance, e.g. photon). WASM memory only grows, so the sizes are high-water marks.
const memories = new Set<WebAssembly.Memory>();

function keepExported(instance: unknown): void {
  const exports = (instance as WebAssembly.Instance | undefined)?.exports;
  if (!exports) return;
  for (const value of Object.values(exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
}

const W = WebAssembly as unknown as Record<string, unknown>;
const OriginalMemory = WebAssembly.Memory;
W.Memory = new Proxy(OriginalMemory, {
  construct(target, args: [WebAssembly.MemoryDescriptor]) {
    const m = new target(...args);
    memories.add(m);
    return m;
  },
});
W.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args: [WebAssembly.Module, WebAssembly.Imports?]) {
    const instance = new target(...args);
    keepExported(instance);
    return instance;
  },
});
const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly) as (
  ...a: unknown[]
) => Promise<unknown>;
W.instantiate = async (...args: unknown[]) => {
  const out = await originalInstantiate(...args);
  keepExported(out instanceof WebAssembly.Instance ? out : (out as { instance?: unknown }).instance);
  return out;
};

/** Sizes in bytes of every WebAssembly memory seen so far, largest first. */
export function wasmMemorySizes(): number[] {
  return [...memories].map((m) => m.buffer.byteLength).sort((a, b) => b - a);
}
