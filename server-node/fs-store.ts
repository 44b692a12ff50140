// A folder standing in for Workers KV in the Node server: one file per key (key segments become folders),
// each file an 8-byte expiry (ms since epoch, float64 LE) followed by the value. Writes go to a temp file
// renamed into place, so a reader never sees half an entry.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ByteStore } from "../worker/cache/byte-store";

const HEADER = 8;

/** Key → relative path; segments keep only safe characters (the entry's own header names its full key). */
export function keyPath(key: string): string {
  return join(...key.split("/").map((s) => s.replace(/[^A-Za-z0-9._+-]/g, "_").replace(/^\.+/, "_") || "_"));
}

export class FsStore implements ByteStore {
  readonly name = "fs";
  private counter = 0;

  constructor(readonly root: string) {}

  async get(key: string): Promise<Uint8Array | null> {
    const path = join(this.root, keyPath(key));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    if (bytes.length < HEADER) return null;
    if (bytes.readDoubleLE(0) <= Date.now()) {
      await rm(path, { force: true });
      return null;
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER, bytes.length - HEADER);
  }

  async put(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    const path = join(this.root, keyPath(key));
    await mkdir(dirname(path), { recursive: true });
    const header = Buffer.alloc(HEADER);
    header.writeDoubleLE(Date.now() + ttlSeconds * 1000, 0);
    const tmp = `${path}.tmp-${process.pid}-${this.counter++}`;
    await writeFile(tmp, Buffer.concat([header, value]));
    await rename(tmp, path);
  }
}
