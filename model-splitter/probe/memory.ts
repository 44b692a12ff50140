// Memory as a Worker isolate counts it: JS heap + array buffers + WebAssembly memory (REFERENCE.md §5).
//
// onnxruntime-web does not expose its Emscripten module's heap. Its glue creates the WebAssembly.Memory in JS
// (the threaded build imports a shared memory), so wrapping the constructor before the first session keeps a
// handle to it; `buffer.byteLength` is then what HEAPU8.buffer.byteLength would say. WASM memory only grows,
// so its current size is its peak. process.memoryUsage().arrayBuffers does not include it (checked in Node 20).
const memories: WebAssembly.Memory[] = [];
let installed = false;

/** Must run before onnxruntime-web creates its memory (before the first session). */
export function installWasmMemoryHook(): void {
  if (installed) return;
  installed = true;
  const Original = WebAssembly.Memory;
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = new Proxy(Original, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const m = new target(...args);
      memories.push(m);
      return m;
    },
  });
}

/** Bytes of the largest WebAssembly memory created since the hook was installed (0 if none yet). */
export function wasmBytes(): number {
  return memories.reduce((a, m) => Math.max(a, m.buffer.byteLength), 0);
}

/**
 * Grows the (largest) WebAssembly memory to at least `bytes`. Emscripten grows memory by at least 20% at a
 * time, so the size after a session is created overshoots what the session needed by up to that much; growing
 * first to a chosen size and checking that creation did not grow it further measures the real peak.
 */
export function growWasmMemoryTo(bytes: number): void {
  const m = memories.reduce<WebAssembly.Memory | undefined>(
    (a, x) => (!a || x.buffer.byteLength > a.buffer.byteLength ? x : a),
    undefined,
  );
  if (!m) throw new Error("no WebAssembly memory yet: create a session first");
  const pages = Math.ceil((bytes - m.buffer.byteLength) / 65536);
  if (pages > 0) m.grow(pages);
}

const gc = (globalThis as { gc?: () => void }).gc;

export interface MemorySample {
  label: string;
  wasm: number;
  /** Live JS heap + array buffers after a full GC (when the process runs with --expose-gc). */
  js: number;
  total: number;
}

/** Samples memory at labelled points and keeps the peak of WASM + live JS. */
export class MemoryTracker {
  readonly samples: MemorySample[] = [];

  /** Samples after several collections with event-loop turns between them (finalizers of external buffers). */
  async settled(label: string): Promise<MemorySample> {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.sample(label);
  }

  sample(label: string): MemorySample {
    gc?.();
    const m = process.memoryUsage();
    const js = m.heapUsed + m.arrayBuffers;
    const wasm = wasmBytes();
    const s = { label, wasm, js, total: wasm + js };
    this.samples.push(s);
    return s;
  }

  peak(): MemorySample {
    return this.samples.reduce((a, b) => (b.total > a.total ? b : a), {
      label: "none",
      wasm: 0,
      js: 0,
      total: 0,
    });
  }

  /** Largest JS sample (the WASM peak is simply the last sample's). */
  jsPeak(): number {
    return Math.max(0, ...this.samples.map((s) => s.js));
  }
}
