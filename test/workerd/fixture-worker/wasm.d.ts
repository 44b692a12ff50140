// workerd (and wrangler/esbuild with a CompiledWasm rule) turn `import x from "*.wasm"` into a precompiled module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
