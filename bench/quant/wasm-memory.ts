// Reads the size of onnxruntime-web's WebAssembly memory. onnxruntime-web does not expose its Emscripten
// Module (HEAPU8) through its API; the glue creates the memory with `new WebAssembly.Memory(...)` (threaded
// build: a shared memory made in JS and passed to the instance as an import). Wrapping that constructor before
// the first session is created lets us keep a reference and read `memory.buffer.byteLength` — the same number
// HEAPU8.buffer.byteLength would give. WASM memory only grows, so it is the peak since the module started.
const memories: WebAssembly.Memory[] = [];
let installed = false;

/** Must run before onnxruntime-web initialises its WASM module (i.e. before the first session). */
export function installWasmMemoryProbe(): void {
  if (installed) return;
  installed = true;
  const Original = WebAssembly.Memory;
  const Probe = new Proxy(Original, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const m = new target(...args);
      memories.push(m);
      return m;
    },
  });
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Probe;
}

/** Bytes of the largest WebAssembly memory created since the probe was installed (0 if none yet). */
export function wasmMemoryBytes(): number {
  return memories.reduce((a, m) => Math.max(a, m.buffer.byteLength), 0);
}
