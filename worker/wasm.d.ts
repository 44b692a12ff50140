// Bundlers for workerd (wrangler's CompiledWasm rule, the test harness) turn a `.wasm` import into a
// precompiled WebAssembly.Module: workerd refuses to compile WebAssembly from bytes at run time.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
