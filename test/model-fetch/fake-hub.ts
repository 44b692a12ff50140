// A local stand-in for the Hugging Face Hub, serving one model folder the way huggingface.co does, for
// model-fetch tests and measurements (this machine cannot reach the real Hub):
//   GET /api/models/{repo}/tree/{revision}[/{path}]?recursive=…  JSON entries {type, oid, size, path, lfs?,
//       xetHash?} (LFS entries carry a stand-in xetHash, as migrated repos do; no xet protocol is served),
//       paged with a `Link: <…>; rel="next"` header like the Hub's cursor pagination;
//   GET /{repo}/resolve/{revision}/{path}  regular files answered directly (ETag = git blob oid); LFS files
//       answered with a 302 to a CDN URL (here /cdn-lfs/{sha256} on the same server) plus X-Linked-Size /
//       X-Linked-ETag, as the Hub redirects LFS downloads to cdn-lfs.hf.co;
//   errors with the Hub's X-Error-Code header (RepoNotFound, RevisionNotFound, EntryNotFound) and 401/403.
// Byte ranges (`bytes=a-b`, `bytes=a-`) get 206 with Content-Range. Faults can be injected per file: drop
// the connection after N bytes, stall after N bytes, serve corrupted bytes, ignore Range.
// Oids are computed by git itself (`git hash-object`) and node:crypto sha256, not by the code under test.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join, relative, sep } from "node:path";
import { Readable } from "node:stream";

export interface FakeHubOptions {
  repo: string;
  revision?: string;
  /** Folder served as the repo's root (every file in it, recursively). */
  dir: string;
  /** Files of `dir` left out of the repo. */
  exclude?: (path: string) => boolean;
  /** Extra files (path → content) added to the repo, e.g. external-data files. */
  extraFiles?: Record<string, Uint8Array>;
  /** Served files that are LFS (default: *.onnx, *.onnx_data*, and anything ≥ 10 MB). */
  isLfs?: (path: string, size: number) => boolean;
  /** Require `Authorization: Bearer <token>`: none → 401; `forbiddenToken` → 403 (gated, not accepted). */
  token?: string;
  forbiddenToken?: string;
  /** Host name the LFS redirect points at (same port; default 127.0.0.1): "localhost" makes the CDN another origin. */
  cdnHost?: string;
  /** Tree entries per page (the Hub pages its tree listing; default: all on one page). */
  pageSize?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  /** Set when the response is done (or its connection dropped). */
  status?: number;
}

export interface TreeEntry {
  type: "file" | "directory";
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  xetHash?: string;
}

interface ServedFile {
  path: string;
  size: number;
  sha256: string;
  gitOid: string;
  lfs: boolean;
  read: (start: number, endInclusive: number) => NodeJS.ReadableStream;
}

type Fault = { kind: "drop" | "stall"; at: number } | { kind: "corrupt" };

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  readonly files = new Map<string, ServedFile>();
  /** Answer ranged requests that start past byte 0 with the whole file (200), as some proxies do. */
  ignoreRange = false;
  private readonly faults = new Map<string, Fault[]>();
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((req, res) => this.handle(req, res));
  private port = 0;

  private constructor(private readonly opts: FakeHubOptions) {
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  static async start(opts: FakeHubOptions): Promise<FakeHub> {
    const hub = new FakeHub(opts);
    await hub.load();
    await new Promise<void>((resolve) => hub.server.listen(0, "127.0.0.1", resolve));
    hub.port = (hub.server.address() as AddressInfo).port;
    return hub;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get revision(): string {
    return this.opts.revision ?? "main";
  }

  /** The tree entries the Hub would list for the whole repo. */
  tree(): TreeEntry[] {
    const dirs = new Set<string>();
    for (const f of this.files.values()) {
      const parts = f.path.split("/");
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    }
    const entries: TreeEntry[] = [...dirs].map((d) => ({
      type: "directory",
      oid: gitHashObject(Buffer.from(d)),
      size: 0,
      path: d,
    }));
    for (const f of this.files.values()) {
      if (!f.lfs) entries.push({ type: "file", oid: f.gitOid, size: f.size, path: f.path });
      else {
        const pointer = Buffer.from(
          `version https://git-lfs.github.com/spec/v1\noid sha256:${f.sha256}\nsize ${f.size}\n`,
        );
        entries.push({
          type: "file",
          oid: gitHashObject(pointer),
          size: f.size,
          path: f.path,
          lfs: { oid: f.sha256, size: f.size, pointerSize: pointer.length },
          xetHash: createHash("sha256").update(`xet:${f.sha256}`).digest("hex"),
        });
      }
    }
    return entries.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The next transfer of `path` that reaches absolute byte `at` sends bytes up to it, then closes the socket. */
  dropAfter(path: string, at: number): void {
    this.addFault(path, { kind: "drop", at });
  }

  /** The next transfer of `path` that reaches byte `at` sends bytes up to it, then sends nothing more. */
  stallAfter(path: string, at: number): void {
    this.addFault(path, { kind: "stall", at });
  }

  /** Every transfer of `path` from now on has one byte flipped (the listing keeps the true hash). */
  corrupt(path: string): void {
    this.addFault(path, { kind: "corrupt" });
  }

  /** Requests that transferred file bytes (resolve or CDN GETs other than the 1-byte probes). */
  transfers(): RecordedRequest[] {
    return this.requests.filter((r) => !r.path.startsWith("/api/") && r.range !== "bytes=0-0");
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private addFault(path: string, fault: Fault): void {
    if (!this.files.has(path)) throw new Error(`fake hub serves no ${path}`);
    this.faults.set(path, [...(this.faults.get(path) ?? []), fault]);
  }

  private async load(): Promise<void> {
    const isLfs =
      this.opts.isLfs ?? ((p: string, size: number) => /\.onnx(_data.*)?$/.test(p) || size >= 10 << 20);
    for (const abs of walk(this.opts.dir)) {
      const path = relative(this.opts.dir, abs).split(sep).join("/");
      if (this.opts.exclude?.(path)) continue;
      const read = (s: number, e: number) =>
        createReadStream(abs, { start: s, end: e, highWaterMark: 1 << 20 });
      const size = statSync(abs).size;
      const hash = createHash("sha256");
      if (size > 0) for await (const chunk of read(0, size - 1)) hash.update(chunk as Buffer);
      const gitOid = execFileSync("git", ["hash-object", abs]).toString().trim();
      this.files.set(path, { path, size, sha256: hash.digest("hex"), gitOid, lfs: isLfs(path, size), read });
    }
    for (const [path, bytes] of Object.entries(this.opts.extraFiles ?? {})) {
      const buf = Buffer.from(bytes);
      const sha256 = createHash("sha256").update(buf).digest("hex");
      const read = (s: number, e: number) => streamOf(buf.subarray(s, e + 1));
      this.files.set(path, {
        path,
        size: buf.length,
        sha256,
        gitOid: gitHashObject(buf),
        lfs: isLfs(path, buf.length),
        read,
      });
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      range: req.headers.range,
      authorization: req.headers.authorization,
    };
    this.requests.push(record);
    res.on("close", () => (record.status = res.statusCode));
    try {
      if (url.pathname.startsWith("/cdn-lfs/")) return this.serveCdn(url, req, res);
      if (!this.authorized(req, res)) return;
      if (url.pathname.startsWith("/api/models/")) return this.serveTree(url, res);
      return this.serveResolve(url, req, res);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(e));
    }
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.opts.token) return true;
    const auth = req.headers.authorization;
    if (auth === `Bearer ${this.opts.token}`) return true;
    if (this.opts.forbiddenToken && auth === `Bearer ${this.opts.forbiddenToken}`) {
      hubError(
        res,
        403,
        "GatedRepo",
        `Access to model ${this.opts.repo} is restricted and you are not in the authorized list.`,
      );
      return false;
    }
    hubError(
      res,
      401,
      auth ? undefined : "GatedRepo",
      auth
        ? "Invalid credentials in Authorization header"
        : `Access to model ${this.opts.repo} is restricted. You must be authenticated to access it.`,
    );
    return false;
  }

  /** Splits `/{prefix}/{owner}/{name}/{verb}/{revision}/{path…}`; undefined when the repo is not ours. */
  private route(
    pathname: string,
    prefix: string,
    verb: string,
    res: ServerResponse,
  ): { rest: string } | undefined {
    const parts = pathname.slice(prefix.length).split("/").map(decodeURIComponent);
    const repo = parts.slice(0, 2).join("/");
    if (repo !== this.opts.repo) return void hubError(res, 404, "RepoNotFound", "Repository not found");
    if (parts[2] !== verb) return void hubError(res, 404, undefined, "Not found");
    if (parts[3] !== this.revision)
      return void hubError(res, 404, "RevisionNotFound", `Invalid rev id: ${parts[3] ?? ""}`);
    return { rest: parts.slice(4).join("/") };
  }

  private serveTree(url: URL, res: ServerResponse): void {
    const route = this.route(url.pathname, "/api/models/", "tree", res);
    if (!route) return;
    const recursive = url.searchParams.get("recursive") === "true";
    const base = route.rest;
    const entries = this.tree().filter((e) => {
      if (base && !e.path.startsWith(`${base}/`)) return false;
      const rel = base ? e.path.slice(base.length + 1) : e.path;
      return recursive || !rel.includes("/");
    });
    if (base && entries.length === 0)
      return hubError(res, 404, "EntryNotFound", `${base} does not exist on "${this.revision}"`);
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const size = this.opts.pageSize ?? entries.length;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (start + size < entries.length) {
      const next = new URL(url);
      next.searchParams.set("cursor", String(start + size));
      headers.link = `<${next.href}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(entries.slice(start, start + size)));
  }

  private serveResolve(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const route = this.route(url.pathname, "/", "resolve", res);
    if (!route) return;
    const file = this.files.get(route.rest);
    if (!file) return hubError(res, 404, "EntryNotFound", "Entry not found");
    if (file.lfs) {
      res
        .writeHead(302, {
          location: `http://${this.opts.cdnHost ?? "127.0.0.1"}:${this.port}/cdn-lfs/${file.sha256}?filename=${encodeURIComponent(file.path)}`,
          "x-linked-size": String(file.size),
          "x-linked-etag": `"${file.sha256}"`,
          "x-repo-commit": "0".repeat(40),
        })
        .end();
      return;
    }
    this.sendBytes(file, req, res, `"${file.gitOid}"`);
  }

  private serveCdn(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const sha = url.pathname.slice("/cdn-lfs/".length);
    const file = [...this.files.values()].find((f) => f.lfs && f.sha256 === sha);
    if (!file)
      return void res
        .writeHead(404, { "content-type": "application/xml" })
        .end("<Error><Code>NoSuchKey</Code></Error>");
    this.sendBytes(file, req, res, `"${file.sha256}"`);
  }

  private sendBytes(file: ServedFile, req: IncomingMessage, res: ServerResponse, etag: string): void {
    let range = parseRange(req.headers.range, file.size);
    if (this.ignoreRange && Array.isArray(range) && range[0] > 0) range = undefined;
    if (range === "invalid") {
      res.writeHead(416, { "content-range": `bytes */${file.size}` }).end();
      return;
    }
    const [start, end] = range ?? [0, file.size - 1];
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
      etag,
    };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${file.size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD" || file.size === 0) return void res.end();

    const faults = this.faults.get(file.path) ?? [];
    const corrupt = faults.some((f) => f.kind === "corrupt");
    const cutIndex = faults.findIndex((f) => f.kind !== "corrupt" && f.at > start && f.at <= end);
    const cut = cutIndex >= 0 ? (faults[cutIndex] as { kind: "drop" | "stall"; at: number }) : undefined;
    if (cut) faults.splice(cutIndex, 1); // each drop/stall happens once
    const last = cut ? cut.at - 1 : end;
    const flipAt = Math.floor(file.size / 2);

    let pos = start;
    const stream = file.read(start, last);
    stream.on("data", (chunk: Buffer) => {
      if (corrupt && flipAt >= pos && flipAt < pos + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - pos] = chunk[flipAt - pos]! ^ 0xff;
      }
      pos += chunk.length;
      if (!res.write(chunk)) {
        stream.pause();
        res.once("drain", () => stream.resume());
      }
    });
    stream.on("end", () => {
      if (!cut) return void res.end();
      // Make sure the bytes before the cut reach the client, then fail the transfer.
      // "stall": leave the response open and silent; close() cleans the socket up.
      if (cut.kind === "stall") return;
      // A FIN, a moment after the bytes left: the client sees the connection end short of Content-Length,
      // as when a proxy or the CDN drops it. (undici's body stream discards chunks it queued but the reader
      // had not taken yet when the connection fails, so a client may keep fewer than `at` bytes; the pause
      // makes that rare, and tests take the resume point from the client.)
      res.write(Buffer.alloc(0), () => setTimeout(() => res.socket?.end(), 30));
    });
  }
}

/** `bytes=a-b` / `bytes=a-` / `bytes=-n` → [start, end] inclusive; undefined without a Range header. */
function parseRange(header: string | undefined, size: number): [number, number] | "invalid" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "invalid";
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start >= size || start > end ? "invalid" : [start, end];
}

function hubError(res: ServerResponse, status: number, code: string | undefined, error: string): void {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (code) headers["x-error-code"] = code;
  res.writeHead(status, headers).end(JSON.stringify({ error }));
}

function gitHashObject(bytes: Buffer): string {
  return execFileSync("git", ["hash-object", "--stdin"], { input: bytes }).toString().trim();
}

function streamOf(bytes: Buffer): NodeJS.ReadableStream {
  // Chunked like a file stream, so back-pressure and cuts behave the same as for files on disk.
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 64 << 10) chunks.push(bytes.subarray(i, i + (64 << 10)));
  return Readable.from(chunks);
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir).sort()) {
    const abs = join(dir, entry);
    if (statSync(abs).isDirectory()) yield* walk(abs);
    else yield abs;
  }
}
