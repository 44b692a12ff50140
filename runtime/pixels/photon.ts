/**
 * The photon (Rust `image` crate compiled to WASM) decoder, with its WASM module injected.
 *
 * @cf-wasm/photon has one entry point per platform, and each one initialises itself on import:
 *   - `@cf-wasm/photon/workerd` imports `photon_rs_bg.wasm` as a module (workerd/wrangler only:
 *     Node cannot import .wasm);
 *   - `@cf-wasm/photon/node` compiles an inlined base64 copy (Node only: workerd forbids compiling
 *     WASM from bytes);
 *   - `@cf-wasm/photon/others` exports the same functions uninitialised.
 * The runtime must run on both, so it imports `others` and takes the compiled module from its caller:
 *   Worker: `import wasm from "@cf-wasm/photon/photon.wasm"; installPhoton(wasm);`
 *   Node:   `import { photonWasmModule } from "@cf-wasm/photon/node"; installPhoton(photonWasmModule);`
 * (Importing either platform entry for its side effect also works: they share one instance.)
 */
import { initPhoton, PhotonImage } from "@cf-wasm/photon/others";
import { ImageDecodeError } from "./errors";

/** Initialise photon with a compiled `photon_rs_bg.wasm`. Idempotent; the first module wins. */
export function installPhoton(wasmModule: WebAssembly.Module): void {
  if (!initPhoton.initialized) initPhoton.sync({ module: wasmModule });
}

export function isPhotonReady(): boolean {
  return initPhoton.ready;
}

/** Bytes of WASM linear memory photon holds (it grows to the largest image decoded and never shrinks). */
export async function photonMemoryBytes(): Promise<number> {
  const out = await initPhoton.ensure();
  return out.memory.buffer.byteLength;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** Packed RGBA, width × height × 4. */
  rgba: Uint8Array;
}

/**
 * Decode with photon into packed RGBA. The crate panics (a WASM trap) on corrupt input; that and any
 * other failure becomes `undecodable_image`. Callers must have checked the header size first.
 */
export function photonDecodeRgba(bytes: Uint8Array): RgbaImage {
  if (!initPhoton.ready) {
    throw new Error(
      "photon is not initialised: call installPhoton(wasmModule) first (see runtime/pixels/photon.ts)",
    );
  }
  let img: PhotonImage | undefined;
  try {
    img = PhotonImage.new_from_byteslice(bytes);
    const width = img.get_width();
    const height = img.get_height();
    const rgba = img.get_raw_pixels();
    if (rgba.length !== width * height * 4) {
      throw new Error(`decoder returned ${rgba.length} bytes for ${width}x${height}`);
    }
    return { width, height, rgba };
  } catch (e) {
    throw new ImageDecodeError("undecodable_image", `the image data could not be decoded (${String(e)})`, {
      cause: e,
    });
  } finally {
    img?.free();
  }
}
