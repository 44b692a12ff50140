/** @cf-wasm/photon exports its .wasm without types; bundlers for workerd turn it into a compiled module. */
declare module "@cf-wasm/photon/photon.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
