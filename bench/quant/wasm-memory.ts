// The capture of onnxruntime-web's WebAssembly memory lives in model-splitter/probe/memory.ts (one hook per
// process, shared with the splitter's probe); these are the names bench/quant and bench/e2e import.
export {
  installWasmMemoryHook as installWasmMemoryProbe,
  wasmBytes as wasmMemoryBytes,
} from "../../model-splitter/probe/memory";
