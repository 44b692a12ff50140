// runtime/ort-env.ts in isolation (a stand-in env object, no onnxruntime initialisation): settings are applied
// once and never silently changed, and the instantiate hook serves a registered precompiled module only for
// its placeholder, passing every other WebAssembly.instantiate call through.
import { describe, expect, it } from "vitest";
import { configureOrtWeb, type OrtWeb } from "../../runtime/ort-env";

const fakeOrt = () =>
  ({ env: { wasm: {} as Record<string, unknown>, logLevel: "warning" } }) as unknown as OrtWeb;
// The smallest valid module: magic + version.
const EMPTY_WASM = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);

describe("configureOrtWeb", () => {
  it("sets threads, SIMD, no proxy and the log level", () => {
    const ort = fakeOrt();
    expect(configureOrtWeb(ort, { numThreads: 2 })).toBe(2);
    expect(ort.env.wasm).toMatchObject({ numThreads: 2, simd: true, proxy: false });
    expect(ort.env.wasm.wasmBinary).toBeUndefined();
    expect(ort.env.logLevel).toBe("error");
  });

  it("accepts the same settings again and refuses different ones", () => {
    const ort = fakeOrt();
    configureOrtWeb(ort, {});
    expect(configureOrtWeb(ort, { numThreads: 1, logLevel: "error" })).toBe(1);
    expect(() => configureOrtWeb(ort, { numThreads: 2 })).toThrow(/already configured/);
    expect(() => configureOrtWeb(fakeOrt(), { numThreads: 0 })).toThrow(RangeError);
  });

  it("serves the precompiled module for its placeholder and passes other instantiate calls through", async () => {
    const module = await WebAssembly.compile(EMPTY_WASM);
    const ort = fakeOrt();
    configureOrtWeb(ort, { wasmModule: module });
    const placeholder = ort.env.wasm.wasmBinary as ArrayBuffer;
    expect(placeholder.byteLength).toBeGreaterThan(0);
    // Emscripten's glue wraps wasmBinary in a Uint8Array view before instantiating.
    const viaView = (await WebAssembly.instantiate(
      new Uint8Array(placeholder),
      {},
    )) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
    expect(viaView.module).toBe(module);
    expect(viaView.instance).toBeInstanceOf(WebAssembly.Instance);
    // A copy of the placeholder (a glue that copies) is still recognised by its bytes.
    const viaCopy = (await WebAssembly.instantiate(
      new Uint8Array(placeholder).slice(),
      {},
    )) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
    expect(viaCopy.module).toBe(module);
    // Anything else is untouched: real bytes compile as usual, a Module gives a bare Instance.
    const other = await WebAssembly.instantiate(EMPTY_WASM, {});
    expect(other.module).not.toBe(module);
    expect(await WebAssembly.instantiate(module, {})).toBeInstanceOf(WebAssembly.Instance);
  });
});
