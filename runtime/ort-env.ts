// Every onnxruntime-web setting lives here and nowhere else (STYLE.md: one env module, applied once).
//
// ort.env is global to one onnxruntime-web instance and is read when its WASM backend initialises (the first
// InferenceSession.create); after that, thread count and binary cannot change. configureOrtWeb therefore
// applies settings once per instance and refuses different ones later, instead of silently ignoring them.
//
// The precompiled module (workerd). workerd refuses to compile WebAssembly from bytes, so the .wasm must be
// imported as a module (a `WebAssembly.Module`). onnxruntime-web 1.30 gives its Emscripten glue no
// `instantiateWasm` hook; it only passes `env.wasm.wasmBinary` bytes on to `WebAssembly.instantiate(bytes,
// imports)`. So we set `wasmBinary` to a small placeholder (non-empty, so onnxruntime-web neither fetches
// nor locates a file) and wrap `WebAssembly.instantiate` once per process: called with a registered
// placeholder, it instantiates the registered Module with the glue's imports and returns {instance, module}
// like the bytes overload; any other call passes through untouched. The glue wraps the placeholder
// ArrayBuffer in a Uint8Array view, so it is recognised by identity (or, failing that, by its unique bytes).
// Threads: pthread workers (Node only) receive the Module from the main thread by postMessage.
//
// Initial memory. onnxruntime-web's glue creates its heap as `new WebAssembly.Memory({initial: 256 pages
// (16 MiB), shared})` and grows it on demand to max(request, 1.2 × current size), so after loading N MiB of
// weights the heap overshoots the real peak by up to 20% (bench/quant measured 119.6 MiB for a 107 MiB peak).
// `initialMemoryBytes` raises that one constructor call's `initial`, so a caller that knows its peak starts
// there and never grows. Too small a value only means growth as usual from a larger start (which can overshoot
// more), so no fixed default exists: the engine (engine/ort-web.ts) passes the peak measured for its model
// folder, when the folder records one for this onnxruntime-web version and thread count
// (engine/memory-hint.ts), as a `defaults` value: it applies to the instance's first configuration only and
// does not have to be repeated by later calls.
import type * as OrtWebApi from "onnxruntime-web";

/** An onnxruntime-web module namespace: `onnxruntime-web/wasm` or, in Node, `onnxruntime-web`. */
export type OrtWeb = typeof OrtWebApi;

export interface OrtWebSettings {
  /**
   * WASM threads (default 1). workerd has no Web Workers, so exactly 1 there. In Node, more than 1 needs the
   * package's Node build (the `onnxruntime-web` entry under the "node" condition): the web bundles try to
   * fetch() their worker script, which Node cannot do for file: URLs.
   */
  numThreads?: number;
  /** Precompiled `ort-wasm-simd-threaded.wasm`. Without it onnxruntime-web locates and compiles the file itself. */
  wasmModule?: WebAssembly.Module;
  /** onnxruntime log level (default "error"). */
  logLevel?: "verbose" | "info" | "warning" | "error" | "fatal";
  /**
   * Start onnxruntime-web's WASM heap at this many bytes (rounded up to 64 KiB pages) instead of 16 MiB.
   * Default: unset (onnxruntime-web's own growth; createOrtWebEngine supplies a model folder's recorded peak).
   * Only takes effect if this instance has not created a session yet. See the header comment for when it helps.
   */
  initialMemoryBytes?: number;
}

const applied = new WeakMap<object, { key: string; numThreads: number }>();
const precompiled = new Map<ArrayBuffer, WebAssembly.Module>();
let placeholderCounter = 0;
const moduleIds = new WeakMap<WebAssembly.Module, number>();
let nextModuleId = 0;

/** Whether configureOrtWeb has already configured this onnxruntime-web instance. */
export function ortWebConfigured(ort: OrtWeb): boolean {
  return applied.has(ort.env);
}

/**
 * Values used only if this call is the instance's first configuration and `settings` leaves them unset; they
 * are not part of the settings a later call must repeat (a model folder's recorded memory peak is a default
 * like this: runtime/engine/memory-hint.ts).
 */
export interface OrtWebDefaults {
  initialMemoryBytes?: number;
}

/** Applies settings to `ort.env` (once per onnxruntime-web instance); returns the thread count in effect. */
export function configureOrtWeb(
  ort: OrtWeb,
  settings: OrtWebSettings = {},
  defaults: OrtWebDefaults = {},
): number {
  const numThreads = settings.numThreads ?? 1;
  if (!Number.isInteger(numThreads) || numThreads < 1)
    throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
  const logLevel = settings.logLevel ?? "error";
  const initialMemoryBytes = settings.initialMemoryBytes;
  checkInitialMemory(initialMemoryBytes);
  checkInitialMemory(defaults.initialMemoryBytes);
  const key = JSON.stringify({
    numThreads,
    logLevel,
    module: settings.wasmModule ? moduleId(settings.wasmModule) : null,
    initialMemoryBytes: initialMemoryBytes ?? null,
  });
  const prev = applied.get(ort.env);
  if (prev) {
    if (prev.key !== key)
      throw new Error(
        `onnxruntime-web is already configured (${prev.key}); it cannot be reconfigured to ${key} in this process`,
      );
    return prev.numThreads;
  }
  ort.env.logLevel = logLevel;
  ort.env.wasm.numThreads = numThreads;
  ort.env.wasm.simd = true; // require fixed-width SIMD (the only binary shipped)
  ort.env.wasm.proxy = false; // no proxy worker: workerd has none, and Node/tests run in-thread
  if (settings.wasmModule) ort.env.wasm.wasmBinary = registerPrecompiled(settings.wasmModule);
  const heap = initialMemoryBytes ?? defaults.initialMemoryBytes;
  if (heap !== undefined) presizeNextHeap(heap);
  applied.set(ort.env, { key, numThreads });
  return numThreads;
}

function checkInitialMemory(bytes: number | undefined): void {
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes > 0 && bytes <= MAX_WASM_BYTES)) {
    throw new RangeError(`initialMemoryBytes must be in (0, 4 GiB), got ${bytes}`);
  }
}

function moduleId(m: WebAssembly.Module): number {
  let id = moduleIds.get(m);
  if (id === undefined) moduleIds.set(m, (id = nextModuleId++));
  return id;
}

function registerPrecompiled(module: WebAssembly.Module): ArrayBuffer {
  // Not a valid wasm binary on purpose: if the hook were bypassed, instantiation fails loudly.
  const placeholder = new TextEncoder().encode(
    `\0asm florence-edge precompiled-module placeholder #${placeholderCounter++}`,
  ).buffer as ArrayBuffer;
  precompiled.set(placeholder, module);
  installInstantiateHook();
  return placeholder;
}

let hookInstalled = false;
function installInstantiateHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (
    source: unknown,
    imports?: WebAssembly.Imports,
  ) => Promise<unknown>;
  const hooked = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    const module = findPrecompiled(source);
    if (!module) return original(source, imports);
    return (original(module, imports) as Promise<WebAssembly.Instance>).then((instance) => ({
      instance,
      module,
    }));
  };
  (WebAssembly as { instantiate: unknown }).instantiate = hooked;
}

function findPrecompiled(source: unknown): WebAssembly.Module | undefined {
  const view =
    source instanceof ArrayBuffer
      ? new Uint8Array(source)
      : ArrayBuffer.isView(source)
        ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
        : undefined;
  if (!view) return undefined;
  const byIdentity = view.buffer instanceof ArrayBuffer ? precompiled.get(view.buffer) : undefined;
  if (byIdentity) return byIdentity;
  for (const [placeholder, module] of precompiled) {
    const p = new Uint8Array(placeholder);
    if (p.length === view.length && p.every((b, i) => b === view[i])) return module;
  }
  return undefined;
}

const PAGE = 65536;
const MAX_WASM_BYTES = 65536 * PAGE - PAGE;

/**
 * Raises `initial` of the next WebAssembly.Memory made with a non-zero initial size (the glue's heap; it also
 * makes a 0-page memory at import only to find the SharedArrayBuffer constructor), then restores the constructor.
 */
function presizeNextHeap(bytes: number): void {
  const Original = WebAssembly.Memory;
  const pages = Math.ceil(bytes / PAGE);
  const Presized = new Proxy(Original, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const d = args[0];
      if (!d || !(d.initial > 0)) return new target(...args);
      (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Original;
      const initial = Math.max(d.initial, d.maximum !== undefined ? Math.min(pages, d.maximum) : pages);
      return new target({ ...d, initial });
    },
  });
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Presized;
}
