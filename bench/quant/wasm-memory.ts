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

/**
 * Grows the (largest) WebAssembly memory to at least `bytes`. Emscripten grows memory by at least 20% at a
 * time, so the size after a session is created overshoots what the session needed by up to that much; growing
 * first to a chosen size and checking that creation did not grow it further measures the real peak.
 */
export function growWasmMemoryTo(bytes: number): void {
  const m = memories.reduce<WebAssembly.Memory | undefined>((a, x) => (!a || x.buffer.byteLength > a.buffer.byteLength ? x : a), undefined);
  if (!m) throw new Error("no WebAssembly memory yet: create a session first");
  const pages = Math.ceil((bytes - m.buffer.byteLength) / 65536);
  if (pages > 0) m.grow(pages);
}
