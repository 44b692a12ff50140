/**
 * A minimal Worker around the pixel path, bundled and run in workerd by workerd.test.ts. It installs
 * photon the way a real Worker does (the .wasm imported as a precompiled module) and answers with
 * the SHA-256 of the pixel_values it computed.
 */
import photonWasm from "@cf-wasm/photon/photon.wasm";
import { ImageDecodeError, imageToPixelValues, installPhoton } from "../../runtime/pixels";

installPhoton(photonWasm);

const hex = (b: ArrayBuffer): string =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(req: Request): Promise<Response> {
    try {
      const r = await imageToPixelValues(new Uint8Array(await req.arrayBuffer()));
      const sha256 = hex(await crypto.subtle.digest("SHA-256", r.pixelValues as Float32Array<ArrayBuffer>));
      return Response.json({ dims: r.dims, width: r.width, height: r.height, sha256 });
    } catch (e) {
      if (e instanceof ImageDecodeError) return Response.json({ code: e.code }, { status: 422 });
      return new Response(String(e), { status: 500 });
    }
  },
};
