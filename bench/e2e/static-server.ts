// A small static file server on 127.0.0.1 for the browser peer: serves folders under URL prefixes with the
// headers that make the page cross-origin isolated (COOP + COEP), without which the browser withholds
// SharedArrayBuffer and onnxruntime-web silently falls back to one thread.
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
};

export interface StaticServer {
  url: string;
  /** Bytes sent so far (to see that the model really came over HTTP). */
  bytesSent(): number;
  close(): Promise<void>;
}

/** Mounts: URL prefix ("/ort/") → folder; `pages`: exact path → inline body (HTML, JSON). */
export async function startStaticServer(
  mounts: Record<string, string>,
  pages: Record<string, string> = {},
): Promise<StaticServer> {
  let sent = 0;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Cache-Control", "no-store");
    const page = pages[path];
    if (page !== undefined) {
      res.setHeader("Content-Type", TYPES[extname(path)] ?? TYPES[".html"]!);
      sent += Buffer.byteLength(page);
      res.end(page);
      return;
    }
    const file = resolveMount(mounts, path);
    let size: number;
    try {
      if (!file) throw new Error("no mount");
      const st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
      size = st.size;
    } catch {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    res.setHeader("Content-Type", TYPES[extname(file)] ?? "application/octet-stream");
    res.setHeader("Content-Length", String(size));
    sent += size;
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => done());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bytesSent: () => sent,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The file a URL path maps to, or undefined when no mount matches or the path escapes its folder. */
export function resolveMount(mounts: Record<string, string>, path: string): string | undefined {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const root = normalize(dir);
    const file = normalize(join(root, path.slice(prefix.length)));
    if (file === root || file.startsWith(root.endsWith(sep) ? root : root + sep)) return file;
  }
  return undefined;
}
