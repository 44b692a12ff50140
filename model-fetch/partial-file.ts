// `<path>.incomplete`: bytes are written at explicit positions and hashed as they arrive, so the digest of
// the finished file costs nothing extra; a resumed file first re-hashes its existing prefix.
import { open, type FileHandle } from "node:fs/promises";
import type { RemoteFile } from "./files";
import { createVerifier, feedFile, type Verifier } from "./verify";

export class PartialFile {
  /** Bytes appended through this handle (the network's share, whatever restarts happened). */
  received = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly file: RemoteFile,
    public offset: number,
    public verifier: Verifier,
  ) {}

  /** Opens `path` keeping its first `keep` bytes (0: truncates), with those bytes already hashed. */
  static async open(path: string, file: RemoteFile, keep: number): Promise<PartialFile> {
    const verifier = createVerifier(file);
    if (keep > 0) await feedFile(path, verifier, keep);
    const fh = await open(path, keep > 0 ? "r+" : "w");
    if (keep > 0) await fh.truncate(keep);
    return new PartialFile(fh, file, keep, verifier);
  }

  async append(chunk: Uint8Array): Promise<void> {
    if (this.offset + chunk.length > this.file.size) {
      throw new Error(
        `${this.file.path}: the server sent more than the ${this.file.size} bytes the Hub lists`,
      );
    }
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await this.fh.write(
        chunk,
        written,
        chunk.length - written,
        this.offset + written,
      );
      written += bytesWritten;
    }
    this.verifier.update(chunk);
    this.offset += chunk.length;
    this.received += chunk.length;
  }

  /** Back to zero bytes (the server ignored our Range header and sent the whole file). */
  async restart(): Promise<void> {
    await this.fh.truncate(0);
    this.offset = 0;
    this.verifier = createVerifier(this.file);
  }

  async close(): Promise<void> {
    await this.fh.sync();
    await this.fh.close();
  }

  async abandon(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}
