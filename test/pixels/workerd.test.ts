/**
 * The runtime's pixel path inside workerd (Miniflare), with photon's WASM imported as a module as a
 * Worker must: same PIL-exact pixel_values as in Node, typed errors, and no node:* in the bundle.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, golden, PNG_SIGNATURE } from "./helpers";

let mf: Miniflare;
let bundle: string;

beforeAll(async () => {
  const out = await build({
    entryPoints: [fileURLToPath(new URL("./workerd-entry.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker"],
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "wasm-module",
        setup(b) {
          b.onResolve({ filter: /photon\.wasm$/ }, () => ({ path: "./photon.wasm", external: true }));
        },
      },
    ],
  });
  bundle = out.outputFiles[0]!.text;
  const wasmPath = createRequire(import.meta.url).resolve("@cf-wasm/photon/photon.wasm");
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: "worker.mjs", contents: bundle },
      { type: "CompiledWasm", path: "photon.wasm", contents: readFileSync(wasmPath) },
    ],
    compatibilityDate: "2026-04-01",
  });
});

afterAll(async () => {
  await mf?.dispose();
});

async function post(bytes: Uint8Array): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await mf.dispatchFetch("http://pixels.test/", { method: "POST", body: bytes });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe("pixel path in workerd", () => {
  it("the bundle imports nothing from node:*", () => {
    expect(bundle).not.toMatch(/from\s*["']node:/);
  });

  it.each(["png_rgba.png", "orient_6.png", "gif_anim.gif", "webp_lossless_rgba.webp", "bmp_8.bmp"])(
    "%s: pixel_values equal PIL's",
    async (name) => {
      const g = golden.images[name]!;
      const { status, body } = await post(fixture(name));
      expect(status).toBe(200);
      expect(body).toEqual({
        dims: [1, 3, 768, 768],
        width: g.width,
        height: g.height,
        sha256: g.pixelValuesSha256,
      });
    },
  );

  it("bad input gives the typed error", async () => {
    expect(await post(new TextEncoder().encode("not an image"))).toEqual({
      status: 422,
      body: { code: "unsupported_media_type" },
    });
    const junkPng = new Uint8Array([...PNG_SIGNATURE, ...new Array(40).fill(7)]);
    expect((await post(junkPng)).status).toBe(422);
  });
});
